"""The simulated payment gateway's batch payouts alone: how many payouts a second over loopback.

Not one of `make bench`'s (bench/run.py): the gateway's share of issue 15's mass payout, measured on its
own, so that `bench/payout.py` (the case, its ledger and the kill) can tell how much of its time is the
gateway's. A fresh database, the real server (`python -m api serve`, the gateway mounted at
/sim/payments, its notifications going to the platform's own receiver), then ``--payees`` payouts sent in
batches of ``--batch`` by ``--clients`` threads, then every batch again under its key (each payout found,
none paid again). It checks that each payee was paid once and every batch message was taken, and prints
one JSON object as its last line.

    .venv/bin/python bench/payout_batches.py [--database-url postgresql+psycopg://...] [--payees 50000]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import create_engine, func, select

# The shared world (database, server) sits beside this script.
from world import Server, create_database, free_port, log, report

from api.simulators.models import SimPaymentTransfer, SimPaymentWebhook
from car_enforce.core import migrate
from car_enforce.core.outbound import RetryPolicy
from car_enforce.core.payments import PaymentGateway, PayoutItem, TransferStatus
from car_enforce.core.settings import Settings


def items(first: int, count: int) -> list[PayoutItem]:
    return [
        PayoutItem(
            key=f"payout:case-1:payee-{n}",
            to_account=f"62220202{n:011d}",
            payee_name=f"投资人{n}",
            amount_fen=10_000 + n % 1_000_000,
            reference=f"case-1/payee-{n}",
        )
        for n in range(first, first + count)
    ]


def send_all(gateway: PaymentGateway, batches: list[list[PayoutItem]], clients: int) -> tuple[float, int]:
    """Seconds to send every batch with ``clients`` threads, and the payouts answered succeeded."""
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        answers = list(pool.map(lambda b: gateway.payout_batch(f"batch:{b[0].key}:{len(b)}", b), batches))
    seconds = time.perf_counter() - started
    return seconds, sum(t.status is TransferStatus.SUCCEEDED for a in answers for t in a)


def wait_for_messages(url: str, expected: int, timeout_s: float = 120.0) -> int:
    """The batch messages the platform took, once all ``expected`` are delivered (or the time is up)."""
    engine = create_engine(url)
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            with engine.connect() as conn:
                done = conn.scalar(
                    select(func.count())
                    .select_from(SimPaymentWebhook)
                    .where(SimPaymentWebhook.status == "delivered")
                )
            if done == expected or time.monotonic() > deadline:
                return int(done or 0)
            time.sleep(0.2)
    finally:
        engine.dispose()


def stored_payouts(url: str) -> tuple[int, int]:
    """Rows of payouts stored, and distinct payout keys among them."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.scalar(select(func.count()).select_from(SimPaymentTransfer))
            keys = conn.scalar(select(func.count(func.distinct(SimPaymentTransfer.payout_key))))
        return int(rows or 0), int(keys or 0)
    finally:
        engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL server (default: a fresh SQLite file)")
    parser.add_argument("--payees", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--clients", type=int, default=1, help="threads sending batches at once")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="bench_payout_batches_"))
    db = create_database(args.database_url, workdir)
    server: Server | None = None
    try:
        migrate.upgrade(db.url)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        os.environ["CARENFORCE_PUBLIC_BASE_URL"] = base  # the server's notifications come back to itself
        server = Server(db.url, port, workdir / "server.log")
        server.wait_ready()
        settings = Settings(
            _env_file=None,
            payment_gateway_url=f"{base}/sim/payments",
            public_base_url=base,
            http_timeout_s=60,
        )
        all_items = items(1, args.payees)
        batches = [all_items[i : i + args.batch] for i in range(0, len(all_items), args.batch)]
        log(
            f"{args.payees:,} payouts in {len(batches)} batches of {args.batch}, "
            f"{args.clients} client(s), {db.kind}"
        )
        with PaymentGateway(settings, retry=RetryPolicy(attempts=1)) as gateway:
            paid_s, paid = send_all(gateway, batches, args.clients)
            log(f"paid {paid:,} in {paid_s:.1f} s: {args.payees / paid_s:,.0f} payouts/s")
            again_s, again = send_all(gateway, batches, args.clients)
            log(f"sent again: {again:,} answered in {again_s:.1f} s: {args.payees / again_s:,.0f} payouts/s")
        taken = wait_for_messages(db.url, len(batches))
        rows, keys = stored_payouts(db.url)
        log(f"stored {rows:,} payouts under {keys:,} keys; {taken} of {len(batches)} batch messages taken")
        figures = {
            "database": db.kind,
            "payees": args.payees,
            "batch": args.batch,
            "clients": args.clients,
            "paid_per_s": round(args.payees / paid_s),
            "again_per_s": round(args.payees / again_s),
            "paid_twice": rows - keys,
            "missed": args.payees - keys,
            "messages_taken": taken,
        }
        report("payout_batches", f"{figures['paid_per_s']:,} payouts/s", [], figures)
        return 0 if rows == keys == args.payees == paid == again and taken == len(batches) else 1
    finally:
        if server is not None:
            server.stop()
        db.cleanup()


if __name__ == "__main__":
    raise SystemExit(main())
