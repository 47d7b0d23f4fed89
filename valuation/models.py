"""Imports every ORM model of valuation so that the metadata is complete (Alembic, tests)."""

from valuation.inquiry import models as inquiry_models
from valuation.inspection import models as inspection_models
from valuation.reference_price import models as reference_price_models

__all__ = ["inquiry_models", "inspection_models", "reference_price_models"]
