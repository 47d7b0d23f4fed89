"""Vendor adapters: each turns one vendor's message, unchanged, into canonical reads (``..reads``).

Pure functions: no database, no HTTP. A malformed message raises ``InvalidInput`` naming the JSON path
(or CSV ``row N.column``, or ``anpr.xml``) of the bad value.
"""

from car_enforce.sightings.vendors.common import strip_images
from car_enforce.sightings.vendors.csvfile import parse_csv
from car_enforce.sightings.vendors.dahua import parse_dahua
from car_enforce.sightings.vendors.hikvision import parse_hikvision
from car_enforce.sightings.vendors.openalpr import parse_openalpr
from car_enforce.sightings.vendors.platerecognizer import (
    parse_platerecognizer,
    parse_platerecognizer_multipart,
)
from car_enforce.sightings.vendors.rekor import parse_rekor, rekor_key

__all__ = [
    "parse_csv",
    "parse_dahua",
    "parse_hikvision",
    "parse_openalpr",
    "parse_platerecognizer",
    "parse_platerecognizer_multipart",
    "parse_rekor",
    "rekor_key",
    "strip_images",
]
