"""A simulated vehicle registry (车管所), served on loopback by the platform itself (/sim/registry)."""

from api.simulators.registry.app import PREFIX, FileIn, catch_up, create_app, file_car, mount
from api.simulators.registry.delivery import wait_for_deliveries

__all__ = ["PREFIX", "FileIn", "catch_up", "create_app", "file_car", "mount", "wait_for_deliveries"]
