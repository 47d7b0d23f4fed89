"""The composition root of scheduled work: which sweeps run, how often, under one database lease."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from api.wiring import install_handlers
from auction import closing as auction_closing
from auction import deposits as auction_deposits
from auction.platforms import sending as auction_platform_sending
from auction.settlement import defaults as settlement_defaults
from car_enforce.case_money import payouts as case_payouts
from car_enforce.core import job_runs, lease, logs
from car_enforce.core.db import Database
from car_enforce.core.notify.delivery import deliver_due
from car_enforce.core.payments.client import PaymentGateway
from car_enforce.core.settings import get_settings
from car_enforce.core.work import runner as work
from car_enforce.registry import jobs as registry_jobs
from car_enforce.registry.client import RegistryClient
from car_enforce.sightings.jobs import send_alert_digests, sweep_read_batches
from car_enforce.stages.jobs import sweep_stage_clocks
from car_enforce.watches.jobs import sweep_watches
from valuation.reference_price import jobs as reference_price_jobs

log = logging.getLogger(__name__)
LEASE = "scheduler"
LEASE_TTL = timedelta(seconds=60)


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def jobs(database: Database) -> dict[str, tuple[Callable[[], object], int]]:
    """Each job and its interval in seconds."""
    settings = get_settings()
    return {
        "deliver-notifications": (lambda: deliver_due(database), 5),
        # Long work a page started and no serving process took up at once (or whose runner died).
        "run-background-work": (lambda: work.run_due(database), 5),
        "send-alert-digests": (lambda: send_alert_digests(database), 60),
        "sweep-watches": (lambda: sweep_watches(database, settings.watch_reminder_days), 600),
        "sweep-stage-clocks": (lambda: sweep_stage_clocks(database), 600),
        "sweep-read-batches": (lambda: sweep_read_batches(database), 3600),
        # Requests a platform has not yet taken, notices to the platforms, decisions at the deadlines, and
        # prices past their validity: often enough that a deadline is acted on within the minute.
        "sweep-reference-prices": (lambda: reference_price_jobs.sweep(database, settings), 30),
        # Rounds past their effective end close within seconds: the losers' deposits are due back within
        # 24 hours of the end (网拍规定 Art. 23), and the buyer wants to know.
        "close-auction-rounds": (lambda: auction_closing.close_due(database), 2),
        # Deposits back to the losers and on to the court, well inside their 24 hours (Art. 23, 25).
        "move-auction-deposits": (lambda: _move_deposits(database), 30),
        # A balance past its due day put before the court, once (网拍规定 Art. 24).
        "warn-overdue-balances": (lambda: settlement_defaults.warn_overdue(database), 600),
        # Rounds on outside platforms published, updated and withdrawn there; a failed call waits its turn.
        "send-auction-publications": (lambda: auction_platform_sending.send_due(database, settings), 10),
        # Case money due to its payees, well inside its 30 days (法发〔2017〕6号); each payout under its key.
        "send-case-payouts": (lambda: _send_payouts(database), 30),
        # Seizures, releases and transfers sent to the registry (车管所), and those it has not finished asked
        # after: a transfer is due within its working day (登记规定 Art. 26).
        "sweep-registry": (lambda: _sweep_registry(database), 30),
    }


def _move_deposits(database: Database) -> list[str]:
    with PaymentGateway() as gateway:
        return auction_deposits.move_due(database, gateway)


def _sweep_registry(database: Database) -> registry_jobs.SweepReport:
    with RegistryClient() as client:
        return registry_jobs.send_due(database, client)


def _send_payouts(database: Database) -> list[str]:
    with PaymentGateway() as gateway:
        return case_payouts.send_due(database, gateway)


def guarded(database: Database, holder: str, name: str, job: Callable[[], object]) -> Callable[[], None]:
    """The job as the scheduler runs it: only under the lease, its run recorded in the database (what
    /metrics reports the sweep lag from), its log lines marked with its name, an error logged."""

    def run() -> None:
        if not lease.hold(database, LEASE, holder, LEASE_TTL):
            return
        with logs.bound(job=name):
            try:
                job_runs.run(database, name, job)
            except Exception:
                log.exception("scheduled job %s failed; it runs again at its next interval", name)

    return run


def configure(scheduler: BaseScheduler, database: Database) -> BaseScheduler:
    install_handlers()
    holder = _holder()
    for name, (job, seconds) in jobs(database).items():
        scheduler.add_job(
            guarded(database, holder, name, job),
            "interval",
            seconds=seconds,
            id=name,
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),
        )
    return scheduler


def start_scheduler(database: Database) -> BackgroundScheduler:
    """The scheduler inside ``serve``: a background thread."""
    scheduler = BackgroundScheduler(timezone="UTC")
    configure(scheduler, database)
    scheduler.start()
    return scheduler


def run_forever(database: Database) -> None:
    """The ``scheduler`` command: one process that only runs the sweeps."""
    scheduler = BlockingScheduler(timezone="UTC")
    configure(scheduler, database)
    scheduler.start()
