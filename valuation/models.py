"""Imports every ORM model of valuation so that the metadata is complete (Alembic, tests)."""

from valuation.inspection import models as inspection_models

__all__ = ["inspection_models"]
