"""The canonical CSV header of plate reads, for the CSV parser's tests and the adapter tests."""

from __future__ import annotations

HEADER = "plate,read_at,camera_id,confidence,colour,lon,lat,datum,candidates"
