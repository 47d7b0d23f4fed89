"""The vehicle registry (车管所): a court's seizure of a car, its release, the transfer after a court sale.

``RegistryClient`` (``client.py``) calls it through the outbound client; the verbs (``service.py``) queue one
request per act, which the sweep (``jobs.send_due``) sends and polls; ``callbacks.py`` verifies and takes the
registry's signed callbacks once.
"""

from car_enforce.registry.callbacks import RegistryCallback, read_callback, take_callback
from car_enforce.registry.client import HandedOver, RegistryClient
from car_enforce.registry.jobs import send_due
from car_enforce.registry.models import RegistryRequest, RequestKind, RequestStatus
from car_enforce.registry.service import Buyer, queue_release, queue_seizure, queue_transfer

__all__ = [
    "Buyer",
    "HandedOver",
    "RegistryCallback",
    "RegistryClient",
    "RegistryRequest",
    "RequestKind",
    "RequestStatus",
    "queue_release",
    "queue_seizure",
    "queue_transfer",
    "read_callback",
    "send_due",
    "take_callback",
]
