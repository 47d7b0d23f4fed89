"""`make bench`: every benchmark in bench/ at its reduced scale, one line each, as a regression guard.

Runs each bench script with ``--quick`` in its own process, one after another (they would compete for the
two cores otherwise), keeps its full output in ``var/bench/<name>.log``, and prints one line per bench:
its figures, each figure's ratio to the floor measured in the same run, and the targets. Exits 1 if a
bench failed or missed a target.

    .venv/bin/python bench/run.py            # all of them
    .venv/bin/python bench/run.py ingest     # some of them
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LOGS = HERE.parent / "var" / "bench"
# Each script in bench/ that measures something, in the order they run; world.py and this file are not.
BENCHES = ("ingest", "watchlist_sync", "readiness", "pages", "bidstorm", "payout")


def run_one(name: str, extra: Sequence[str]) -> tuple[dict[str, Any] | None, float, Path]:
    """Run one bench at its reduced scale; (its last JSON line or None, seconds, its log)."""
    LOGS.mkdir(parents=True, exist_ok=True)
    log_path = LOGS / f"{name}.log"
    started = time.perf_counter()
    with log_path.open("wb") as log:
        code = subprocess.call(
            [sys.executable, str(HERE / f"{name}.py"), "--quick", *extra],
            cwd=HERE.parent,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    seconds = time.perf_counter() - started
    lines = log_path.read_text(errors="replace").splitlines()
    if code != 0 or not lines:
        return None, seconds, log_path
    try:
        result = json.loads(lines[-1])
    except json.JSONDecodeError:
        return None, seconds, log_path
    return (result if isinstance(result, dict) and "summary" in result else None), seconds, log_path


def line_of(name: str, result: dict[str, Any] | None, seconds: float, log_path: Path) -> tuple[str, bool]:
    if result is None:
        tail = "\n    ".join(log_path.read_text(errors="replace").splitlines()[-8:])
        return f"{name:<15} FAILED after {seconds:.0f} s; {log_path}:\n    {tail}", False
    summary = result["summary"]
    misses = [c for c in summary["checks"] if not c["ok"]]
    targets = ", ".join(
        f"{c['name']} {c['value']:.3g} {c['op']} {c['target']:g}{'' if c['ok'] else ' MISS'}"
        for c in summary["checks"]
    )
    verdict = "ok  " if not misses else "MISS"
    return f"{name:<15} {verdict} {summary['line']} | targets: {targets} | {seconds:.0f} s", not misses


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("benches", nargs="*", help=f"which of {', '.join(BENCHES)} (default: all)")
    parser.add_argument(
        "--database-url", default=None, help="run each on this PostgreSQL server instead of SQLite"
    )
    args = parser.parse_args(argv)
    unknown = sorted(set(args.benches) - set(BENCHES))
    if unknown:
        parser.error(f"no bench {', '.join(unknown)}; there are {', '.join(BENCHES)}")
    extra = ["--database-url", args.database_url] if args.database_url else []
    started = time.perf_counter()
    all_ok = True
    for name in args.benches or BENCHES:
        if sys.stdout.isatty():
            print(f"{name:<15} running ...", end="\r", flush=True)
        result, seconds, log_path = run_one(name, extra)
        text, ok = line_of(name, result, seconds, log_path)
        print(text, flush=True)
        all_ok = all_ok and ok
    print(
        f"{'all':<15} {'ok  ' if all_ok else 'MISS'} in {time.perf_counter() - started:.0f} s; logs in {LOGS}"
    )
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
