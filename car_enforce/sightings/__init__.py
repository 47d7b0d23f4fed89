"""Plate reads from police systems: vendor adapters, the watch index, matching, alerts and digests."""
