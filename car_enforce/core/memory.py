"""This process's resident memory, for start-up logs and readiness (Linux ``/proc``; None elsewhere)."""

from __future__ import annotations

import os

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss_bytes() -> int | None:
    """Resident set size now, in bytes."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None


def mib(n: int | None) -> float | None:
    return None if n is None else round(n / 2**20, 1)


def describe_growth(before: int | None, after: int | None) -> str:
    if before is None or after is None:
        return "not known on this system"
    return f"{after / 2**20:,.0f} MiB (+{(after - before) / 2**20:,.0f} MiB)"
