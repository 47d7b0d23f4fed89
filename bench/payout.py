"""One mass case's money (涉众案件) paid to 170,000 payees through the payment simulator, with a SIGKILL and
a resume (issue 15).

A fresh database with the demo region; one case of the 平阳 court opened through the service, ``--payees``
investors added to it (each with an account of its own), the money for all of them received and the
distribution made, so that every payee has one payout due: that set-up is what an operator waits for and is
timed apart. Then the real server (``python -m api serve``, the payment simulator mounted at /sim/payments)
on loopback, and the payer in a process of its own: ``carenforce payouts send --case N``, the operator's
command, which sends the case's due payouts through the gateway's batch payouts. Once a share of the
payouts is paid, and at a moment the gateway has paid a batch the platform has not yet recorded, the payer
is killed (SIGKILL); it is started again and left to finish.

Verified from the simulator's own transfer rows (each payee's succeeded transfers, by account and by the
payout's reference) and from the platform's (every payout succeeded, the case's book checks out, nothing in
flight, the bank account paid down to nothing, one ``payout.paid`` posting a payout): ``paid_twice``,
``missed``, ``ledger_balanced``. The floor is the gateway's own batch throughput, measured after the paying
on the same server and database as ``payout_batches.py`` does (the client alone, no case, no ledger): the
ratio is the payer's payouts/s, kill and restart included, over the floor's.

    .venv/bin/python bench/payout.py [--database-url postgresql+psycopg://...] [--payees 170000] [--quick]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text

# The shared world (database, server) sits beside this script.
from world import PROJECT_ROOT, Check, Server, create_database, free_port, log, report, scale_args

from car_enforce.core import migrate

CASE_NUMBER = "(2026)浙0326执8800号"
APPLICANT_CODE = "91330300MA2874XX86"  # a unified social credit code with its check character
DEBTOR_ID = "330326198808080019"
FULL = {"payees": 170_000, "floor_payouts": 50_000}
QUICK = {"payees": 5_000, "floor_payouts": 5_000}
# Targets: the absolute one at full scale; a ratio to the floor in `make bench` (set from runs on
# this machine kind, see bench/README.md).
FULL_SECONDS = 600.0
QUICK_RATIO = 0.05  # provisional: under full-scale SQLite runs (0.23, 0.27); quick runs pay two start-ups


def account_of(n: int) -> str:
    return f"6222{n:012d}"


def claim_of(n: int) -> int:
    return 10_000 + (n * 7_919) % 5_000_000  # 100 yuan to 50,100 yuan


# ---------------------------------------------------------------------------------------------------------
# The case, through the services


@dataclass(frozen=True)
class SetUp:
    case_id: int
    payouts: int
    seed_s: float
    payees_s: float
    receive_s: float
    distribute_s: float

    @property
    def seconds(self) -> float:
        """What an operator waits for: the payees added, the money received and distributed."""
        return self.payees_s + self.receive_s + self.distribute_s


def set_up(url: str, payees: int, chunk: int = 10_000) -> SetUp:
    from sqlalchemy import select

    from api.demo import seed as demo
    from api.wiring import install_handlers
    from car_enforce.case_money import distribution, entries, service
    from car_enforce.case_money import payees as payee_book
    from car_enforce.case_money.accounts import Source
    from car_enforce.case_money.schemas import PayeeIn
    from car_enforce.cases.schemas import CaseCreate
    from car_enforce.cases.service import open_case
    from car_enforce.core.db import Database, set_database
    from car_enforce.core.identity.models import User
    from car_enforce.core.identity.service import principal_of_user

    install_handlers()
    database = Database(url)
    set_database(database)
    try:
        started = time.perf_counter()
        with database.unit_of_work() as s:
            demo.seed(s)
        with database.unit_of_work() as s:
            user = s.scalar(select(User).where(User.username == "pingyang.officer"))
            assert user is not None
            officer = principal_of_user(user)
            body = {
                "case_number": CASE_NUMBER,
                "amount_owed_fen": sum(claim_of(n) for n in range(1, payees + 1)),
                "applicants": [
                    {"kind": "company", "name": "平阳县某投资咨询公司清算组", "id_number": APPLICANT_CODE}
                ],
                "debtors": [{"kind": "person", "name": "林某某", "id_number": DEBTOR_ID}],
            }
            case_id = open_case(s, actor=officer, data=CaseCreate.model_validate(body)).id
        seed_s = time.perf_counter() - started
        log(f"demo region seeded and case {case_id} opened in {seed_s:.1f} s")

        started = time.perf_counter()
        for low in range(1, payees + 1, chunk):
            listed = [
                PayeeIn(account_number=account_of(n), name=f"集资参与人{n}", claim_fen=claim_of(n))
                for n in range(low, min(low + chunk, payees + 1))
            ]
            with database.unit_of_work() as s:
                added = payee_book.add_payees(s, service.case_of(s, case_id), actor=officer, payees=listed)
            assert added.added == len(listed), added
        payees_s = time.perf_counter() - started
        log(
            f"{payees:,} payees added in {payees_s:.1f} s "
            f"({payees / payees_s:,.0f}/s, {chunk:,} a transaction)"
        )

        started = time.perf_counter()
        total = sum(claim_of(n) for n in range(1, payees + 1))
        with database.unit_of_work() as s:
            entries.receive(
                s, case_id, amount_fen=total, source=Source.DEBTOR_PAYMENT, key="bench-all", actor=officer
            )
        receive_s = time.perf_counter() - started

        started = time.perf_counter()
        with database.unit_of_work() as s:
            made = distribution.distribute(s, case_id, actor=officer)
        distribute_s = time.perf_counter() - started
        log(
            f"{total / 100:,.2f} yuan received in {receive_s:.2f} s; distributed in {distribute_s:.1f} s: "
            f"{made.payouts:,} payouts due, fee {made.fee_fen / 100:,.2f} yuan"
        )
        return SetUp(case_id, made.payouts, seed_s, payees_s, receive_s, distribute_s)
    finally:
        set_database(None)
        database.dispose()


# ---------------------------------------------------------------------------------------------------------
# The payer, killed once mid-run


def count(engine: Engine, sql: str, **params: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql), params).scalar_one() or 0)


PAID = "SELECT count(*) FROM case_payout WHERE case_id = :case AND status = 'succeeded'"
SENT = "SELECT count(*) FROM case_payout WHERE case_id = :case AND status = 'sent'"
# A batch the gateway has paid and the platform has not recorded: the moment a crash hurts most.
PAID_UNRECORDED = (
    "SELECT count(*) FROM case_payout p JOIN sim_payment_transfer t ON t.payout_key = p.idempotency_key "
    "WHERE p.case_id = :case AND p.status = 'sent'"
)


class Payer:
    """``carenforce payouts send --case N`` in a process of its own, its output in a log of its own."""

    def __init__(self, url: str, base: str, case_id: int, batch: int, log_path: Path) -> None:
        env = {
            **os.environ,
            "CARENFORCE_DATABASE_URL": url,
            "CARENFORCE_PUBLIC_BASE_URL": base,  # the gateway at base/sim/payments, its messages to base
            "CARENFORCE_RUN_SCHEDULER": "false",
            "CARENFORCE_HTTP_TIMEOUT_S": "60",
            "CARENFORCE_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115 (closed in wait())
        command = ["payouts", "send", "--case", str(case_id), "--batch", str(batch)]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "api", *command],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def running(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.wait()

    def wait(self, timeout: float | None = None) -> int:
        code = self.proc.wait(timeout)
        self._log.close()
        return code

    def tail(self, lines: int = 5) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


@dataclass(frozen=True)
class Kill:
    at_s: float  # since the paying began
    paid_before: int  # payouts recorded paid when it died
    sent_left: int  # payouts it left sent (marked, not recorded)
    paid_unrecorded: int  # of those, paid by the gateway already


def kill_mid_run(payer: Payer, engine: Engine, case_id: int, after: int, began: float) -> Kill | None:
    """Once ``after`` payouts are paid, kill the payer when the gateway has paid a batch the platform has
    not recorded (or, failing that within 30 s, with a batch sent); None if it finished first."""
    while count(engine, PAID, case=case_id) < after:
        if not payer.running():
            return None
        time.sleep(0.05)
    deadline = time.monotonic() + 30
    while payer.running():
        if count(engine, PAID_UNRECORDED, case=case_id) or (
            time.monotonic() > deadline and count(engine, SENT, case=case_id)
        ):
            payer.kill()
            break
        time.sleep(0.002)
    else:
        return None
    at_s = time.perf_counter() - began
    return Kill(
        at_s,
        count(engine, PAID, case=case_id),
        count(engine, SENT, case=case_id),
        count(engine, PAID_UNRECORDED, case=case_id),
    )


def watch(payer: Payer, engine: Engine, case_id: int, payouts: int, began: float) -> int:
    """Wait for the payer to finish, printing progress every 10 s; its exit code."""
    next_at = time.monotonic() + 10
    while payer.running():
        time.sleep(0.2)
        if time.monotonic() >= next_at:
            next_at += 10
            paid = count(engine, PAID, case=case_id)
            elapsed = time.perf_counter() - began
            log(f"  {paid:>9,} / {payouts:,} paid ({elapsed:6.1f} s, {paid / elapsed:,.0f}/s overall)")
    return payer.wait()


# ---------------------------------------------------------------------------------------------------------
# What was paid, from both sides


@dataclass(frozen=True)
class Verdict:
    payees: int
    paid_twice: int
    missed: int
    gateway_paid_fen: int
    payouts_fen: int
    not_succeeded: int
    ledger_problems: list[str]
    in_flight_fen: int
    bank_fen: int
    paid_postings: int

    @property
    def balanced(self) -> bool:
        return (
            not self.ledger_problems
            and self.in_flight_fen == 0
            and self.bank_fen == 0
            and self.not_succeeded == 0
            and self.paid_postings == self.payees
            and self.gateway_paid_fen == self.payouts_fen
        )


def verify(url: str, case_id: int) -> Verdict:
    from sqlalchemy import func, select

    from api.simulators.models import SimPaymentTransfer
    from car_enforce.case_money import accounts as acct
    from car_enforce.case_money.models import CasePayee, CasePayout, PayoutStatus
    from car_enforce.core import ledger
    from car_enforce.core.db import Database
    from car_enforce.core.ledger import LedgerBook, LedgerPosting

    database = Database(url)
    try:
        with database.unit_of_work(read_only=True) as s:
            accounts = {
                number: payee
                for number, payee in s.execute(
                    select(CasePayee.account_number, CasePayee.id).where(CasePayee.case_id == case_id)
                )
            }
            payout_of = {
                f"case-payout:{pid}": payee
                for pid, payee in s.execute(
                    select(CasePayout.id, CasePayout.payee_id).where(CasePayout.case_id == case_id)
                )
            }
            by_account: Counter[int] = Counter()
            by_reference: Counter[int] = Counter()
            gateway_fen = 0
            succeeded = select(
                SimPaymentTransfer.to_account, SimPaymentTransfer.reference, SimPaymentTransfer.amount_fen
            ).where(SimPaymentTransfer.kind == "payout", SimPaymentTransfer.status == "succeeded")
            for to_account, reference, amount in s.execute(succeeded):
                if to_account in accounts:
                    by_account[accounts[to_account]] += 1
                    gateway_fen += amount
                if reference in payout_of:
                    by_reference[payout_of[reference]] += 1
            payees = list(accounts.values())
            twice = sum(1 for p in payees if by_account[p] > 1 or by_reference[p] > 1)
            missed = sum(1 for p in payees if not by_account[p] or not by_reference[p])
            payouts_fen = int(
                s.scalar(
                    select(func.coalesce(func.sum(CasePayout.amount_fen), 0)).where(
                        CasePayout.case_id == case_id
                    )
                )
                or 0
            )
            not_succeeded = int(
                s.scalar(
                    select(func.count()).where(
                        CasePayout.case_id == case_id, CasePayout.status != PayoutStatus.SUCCEEDED
                    )
                )
                or 0
            )
            book = acct.book(case_id)
            money = ledger.balances(s, book)
            paid_postings = int(
                s.scalar(
                    select(func.count(LedgerPosting.id))
                    .join(LedgerBook, LedgerBook.id == LedgerPosting.book_id)
                    .where(LedgerBook.key == book, LedgerPosting.kind == "payout.paid")
                )
                or 0
            )
            return Verdict(
                payees=len(payees),
                paid_twice=twice,
                missed=missed,
                gateway_paid_fen=gateway_fen,
                payouts_fen=payouts_fen,
                not_succeeded=not_succeeded,
                ledger_problems=ledger.check(s, book),
                in_flight_fen=money.get(acct.IN_FLIGHT, 0),
                bank_fen=money.get(acct.BANK, 0),
                paid_postings=paid_postings,
            )
    finally:
        database.dispose()


# ---------------------------------------------------------------------------------------------------------
# The floor: the gateway's batch payouts alone


def floor(base: str, payouts: int, batch: int) -> float:
    """Payouts/s of the gateway's batch payouts from a bare client, batches of ``batch`` one after another."""
    from car_enforce.core.outbound import RetryPolicy
    from car_enforce.core.payments import PaymentGateway, PayoutItem, TransferStatus
    from car_enforce.core.settings import Settings

    settings = Settings(
        _env_file=None, payment_gateway_url=f"{base}/sim/payments", public_base_url=base, http_timeout_s=60
    )
    items = [
        PayoutItem(f"floor:{n}", f"9555{n:012d}", f"对照{n}", claim_of(n), f"floor-{n}")
        for n in range(1, payouts + 1)
    ]
    size = min(batch, 1_000)
    started = time.perf_counter()
    paid = 0
    with PaymentGateway(settings, retry=RetryPolicy(attempts=1)) as gateway:
        for low in range(0, len(items), size):
            part = items[low : low + size]
            answers = gateway.payout_batch(f"floor-batch:{low}", part)
            paid += sum(t.status is TransferStatus.SUCCEEDED for t in answers)
    seconds = time.perf_counter() - started
    if paid != payouts:
        raise RuntimeError(f"the floor paid {paid} of {payouts}")
    return payouts / seconds


# ---------------------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", help="a PostgreSQL server (default: a fresh SQLite file)")
    parser.add_argument("--payees", type=int, default=None, help="payees of the case (default 170,000)")
    parser.add_argument("--batch", type=int, default=1_000, help="payouts a transaction of the payer")
    parser.add_argument("--kill-after", type=float, default=0.3, help="the share paid before the kill")
    parser.add_argument("--floor-payouts", type=int, default=None, help="payouts the floor sends")
    scale_args(parser)
    args = parser.parse_args(argv)
    scale = QUICK if args.quick else FULL
    payees = args.payees or scale["payees"]
    floor_payouts = min(args.floor_payouts or scale["floor_payouts"], payees)
    os.environ["CARENFORCE_PASSWORD_HASH_PROFILE"] = "cheapest"  # the demo's logins are not measured

    workdir = Path(tempfile.mkdtemp(prefix="bench_payout_"))
    db = create_database(args.database_url, workdir)
    server: Server | None = None
    engine: Engine | None = None
    try:
        migrate.upgrade(db.url)
        log(f"{payees:,} payees, {db.kind}, the payer recording {args.batch:,} payouts a transaction")
        ready = set_up(db.url, payees)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        os.environ["CARENFORCE_PUBLIC_BASE_URL"] = base  # the gateway's messages come back to the server
        server = Server(db.url, port, workdir / "server.log", extra=["--no-reads"])
        server.wait_ready()
        engine = create_engine(db.url)

        began = time.perf_counter()
        first = Payer(db.url, base, ready.case_id, args.batch, workdir / "payer-1.log")
        kill = kill_mid_run(first, engine, ready.case_id, int(ready.payouts * args.kill_after), began)
        if kill is None:
            raise RuntimeError(f"the payer finished before it could be killed:\n{first.tail()}")
        log(
            f"payer killed (SIGKILL) after {kill.at_s:.1f} s: {kill.paid_before:,} recorded paid, "
            f"{kill.sent_left:,} left sent, {kill.paid_unrecorded:,} of them paid at the gateway already"
        )
        second = Payer(db.url, base, ready.case_id, args.batch, workdir / "payer-2.log")
        code = watch(second, engine, ready.case_id, ready.payouts, began)
        seconds = time.perf_counter() - began
        if code != 0:
            raise RuntimeError(f"the resumed payer exited with {code}:\n{second.tail()}")
        log(f"resumed payer: {second.tail(1)}")
        rate = ready.payouts / seconds
        log(
            f"{ready.payouts:,} payouts paid in {seconds:.1f} s, "
            f"the kill and the resume included: {rate:,.0f}/s"
        )

        verdict = verify(db.url, ready.case_id)
        log(
            f"gateway: {verdict.paid_twice} payees paid twice, {verdict.missed} missed; platform: "
            f"{verdict.not_succeeded} payouts not succeeded, "
            f"ledger problems {verdict.ledger_problems or 'none'}, "
            f"in flight {verdict.in_flight_fen} fen, bank {verdict.bank_fen} fen, "
            f"{verdict.paid_postings:,} payout.paid postings"
        )
        floor_rate = floor(base, floor_payouts, args.batch)
        ratio = rate / floor_rate
        log(
            f"floor: the gateway's batch payouts alone, {floor_payouts:,} at {floor_rate:,.0f}/s; "
            f"ratio {ratio:.3f}"
        )

        checks = [
            Check("paid_twice", verdict.paid_twice, "<", 1),
            Check("missed", verdict.missed, "<", 1),
            Check("ledger_balanced", float(verdict.balanced), ">=", 1),
        ]
        if args.quick:
            checks.append(Check("ratio", ratio, ">=", QUICK_RATIO))
        else:
            checks.append(Check("seconds", seconds, "<", FULL_SECONDS, "s"))
        figures = {
            "database": db.kind,
            "payees": verdict.payees,
            "payouts": ready.payouts,
            "batch": args.batch,
            "kills": 1,
            "killed_at_s": round(kill.at_s, 1),
            "killed_with_sent": kill.sent_left,
            "killed_with_paid_unrecorded": kill.paid_unrecorded,
            "setup_seconds": round(ready.seconds, 1),
            "add_payees_s": round(ready.payees_s, 1),
            "distribute_s": round(ready.distribute_s, 1),
            "payouts_per_s": round(rate),
            "floor_per_s": round(floor_rate),
            "ratio": round(ratio, 3),
            "paid_twice": verdict.paid_twice,
            "missed": verdict.missed,
            "ledger_balanced": verdict.balanced,
            "seconds": round(seconds, 1),
        }
        line = (
            f"{ready.payouts:,} paid in {seconds:.0f} s ({rate:,.0f}/s, one kill), "
            f"floor {floor_rate:,.0f}/s, "
            f"ratio {ratio:.2f}; set-up {ready.seconds:.0f} s; twice {verdict.paid_twice}, "
            f"missed {verdict.missed}, balanced {verdict.balanced}"
        )
        report("payout", line, checks, figures)
        return 0
    finally:
        if engine is not None:
            engine.dispose()
        if server is not None:
            server.stop()
        db.cleanup()


if __name__ == "__main__":
    raise SystemExit(main())
