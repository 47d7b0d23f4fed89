"""Imports every ORM model so that the metadata is complete (Alembic, ``create_all`` in tools)."""

from car_enforce.captures import models as captures_models
from car_enforce.case_money import models as case_money_models
from car_enforce.cases import models as cases_models
from car_enforce.core import idempotency, job_runs, lease, shared_clock
from car_enforce.core.calendar import models as calendar_models
from car_enforce.core.geo import models as geo_models
from car_enforce.core.identity import models as identity_models
from car_enforce.core.ledger import models as ledger_models
from car_enforce.core.notify import models as notify_models
from car_enforce.core.payments import models as payments_models
from car_enforce.core.timeline import models as timeline_models
from car_enforce.core.work import models as work_models
from car_enforce.custody import models as custody_models
from car_enforce.inventory import models as inventory_models
from car_enforce.registry import models as registry_models
from car_enforce.sightings import models as sightings_models
from car_enforce.sightings.viid import models as viid_models
from car_enforce.stages import models as stages_models
from car_enforce.vehicles import models as vehicles_models
from car_enforce.watches import models as watches_models

__all__ = [
    "calendar_models",
    "captures_models",
    "case_money_models",
    "cases_models",
    "custody_models",
    "geo_models",
    "idempotency",
    "identity_models",
    "inventory_models",
    "job_runs",
    "lease",
    "ledger_models",
    "notify_models",
    "payments_models",
    "registry_models",
    "shared_clock",
    "sightings_models",
    "stages_models",
    "timeline_models",
    "vehicles_models",
    "viid_models",
    "watches_models",
    "work_models",
]
