"""The ``carenforce`` command: serve, scheduler, database, demo seed and administration."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import typer

from api.wiring import install_clock, install_handlers
from car_enforce.core import logs
from car_enforce.core.settings import PROJECT_ROOT, get_settings
from car_enforce.core.shared_clock import SharedClock

app = typer.Typer(help="The vehicle seizure and judicial auction platform.", no_args_is_help=True)


@app.callback()
def _compose() -> None:
    """Every command runs with the platform's event handlers installed."""
    install_handlers()


db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
timeline_app = typer.Typer(help="The hash-chained timeline.", no_args_is_help=True)
calendar_app = typer.Typer(help="Official holiday schedules.", no_args_is_help=True)
clock_app = typer.Typer(
    help="The shared clock (CARENFORCE_CLOCK=shared): move every process's time.", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(timeline_app, name="timeline")
app.add_typer(calendar_app, name="calendar")
payouts_app = typer.Typer(help="A case's money paid out to its payees.", no_args_is_help=True)
app.add_typer(clock_app, name="clock")
app.add_typer(payouts_app, name="payouts")


def _log_to_stderr() -> None:
    """Every log line of the process, uvicorn's included, to stderr: one JSON object a line by default
    (CARENFORCE_LOG_FORMAT=text for a terminal), names, ID numbers and phones masked."""
    settings = get_settings()
    logs.configure(settings.log_format, level=settings.log_level)


def _ensure_sqlite_dir(url: str) -> None:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply the migrations (alembic upgrade)."""
    from car_enforce.core import migrate

    url = get_settings().database_url
    _ensure_sqlite_dir(url)
    migrate.upgrade(url, revision)
    typer.echo(f"database at {revision}")


@db_app.command("check")
def db_check() -> None:
    """Fail if the models and the migrations disagree."""
    from car_enforce.core import migrate

    migrate.check(get_settings().database_url)
    typer.echo("models and migrations agree")


@app.command("seed-demo")
def seed_demo(force: bool = typer.Option(False, help="Seed even if the database has data")) -> None:
    """Seed the demo region (Wenzhou) if the database is empty, and print the demo logins."""
    from api.demo import seed as demo
    from car_enforce.core.db import get_database

    with get_database().unit_of_work() as session:
        if demo.is_seeded(session) and not force:
            typer.echo("the database already has data; demo seed skipped")
        else:
            demo.seed(session)
            typer.echo("demo region seeded")
    print_logins()


@app.command("demo-reset")
def demo_reset(yes: bool = typer.Option(False, "--yes", help="Really empty the database")) -> None:
    """Start the demo over: empty the database (every table, by the migrations down and up) and seed it."""
    from api.demo.reset import reset
    from car_enforce.core.db import get_database

    if not yes:
        typer.echo("this empties the whole database; run again with --yes", err=True)
        raise typer.Exit(2)
    reset(get_database())
    typer.echo("demo region seeded afresh")
    print_logins()


def print_logins() -> None:
    from api.demo import seed as demo

    base = get_settings().public_base_url
    typer.echo(f"\nAPI docs: {base}/docs    health: {base}/healthz    ready: {base}/readyz")
    typer.echo(f"Demo logins (password {demo.DEMO_PASSWORD!r}) — POST {base}/api/auth/login:")
    for login in demo.LOGINS:
        typer.echo(f"  {login.username:<18} {login.role:<14} {login.who}")
    typer.echo("Demo police API keys (header X-Api-Key):")
    for key in demo.KEYS:
        typer.echo(f"  {key.secret}  {key.organisation}")


@app.command()
def serve(
    host: str | None = None,
    port: int | None = None,
    scheduler: bool = typer.Option(True, help="Run the scheduled sweeps in this process"),
    reads: bool = typer.Option(
        True,
        help="This process takes plate reads, so it loads the watch index at start and is ready "
        "(/readyz) once it is loaded; --no-reads for a process the load balancer sends no reads",
    ),
    workers: int = typer.Option(
        1,
        min=1,
        help="Worker processes on the one port (uvicorn's supervisor restarts one that dies); each keeps "
        "only caches in memory, what they share is in the database",
    ),
) -> None:
    """Serve the API, its docs, the simulators and (by default) the scheduler."""
    import os

    import uvicorn

    from api.app import create_app

    _log_to_stderr()
    settings = get_settings()
    common: dict[str, object] = {
        "host": host or settings.host,
        "port": port or settings.port,
        "log_level": settings.log_level.lower(),
        "log_config": None,  # uvicorn's loggers, its access log too, write through the handler set up above
    }
    if workers == 1:
        uvicorn.run(
            create_app(
                with_scheduler=scheduler and settings.run_scheduler,
                server_process=True,
                takes_reads=reads and settings.takes_reads,
            ),
            **common,  # type: ignore[arg-type]
        )
        return
    # Each worker is a fresh interpreter that builds its app from the environment (api.app.served_app):
    # the options go to it as the settings they override. The scheduler's database lease keeps all but
    # one worker's sweeps idle.
    os.environ["CARENFORCE_RUN_SCHEDULER"] = str(scheduler and settings.run_scheduler).lower()
    os.environ["CARENFORCE_TAKES_READS"] = str(reads and settings.takes_reads).lower()
    uvicorn.run("api.app:served_app", factory=True, workers=workers, **common)  # type: ignore[arg-type]


@app.command("scheduler")
def scheduler_cmd() -> None:
    """Run only the scheduled sweeps (one process; a database lease keeps a second one idle)."""
    from api.scheduler import run_forever
    from car_enforce.core.db import get_database

    _log_to_stderr()
    install_clock(get_database())
    run_forever(get_database())


@timeline_app.command("verify")
def timeline_verify(chain: str | None = typer.Option(None, help="One chain, e.g. case:12")) -> None:
    """Recompute every hash chain; exit 1 and name each edited or deleted event."""
    from car_enforce.core.db import get_database
    from car_enforce.core.timeline.service import verify

    with get_database().unit_of_work(read_only=True) as session:
        problems = verify(session, chain=chain)
    if problems:
        for problem in problems:
            typer.echo(f"TAMPERED {problem}", err=True)
        raise typer.Exit(1)
    typer.echo("timeline intact")


@calendar_app.command("load")
def calendar_load(file: Path) -> None:
    """Load a year's official holiday schedule (JSON) published by the State Council."""
    from car_enforce.core.calendar.schedule import parse_schedule
    from car_enforce.core.calendar.service import load_official_year
    from car_enforce.core.db import get_database
    from car_enforce.core.identity.principal import Principal

    schedule = parse_schedule(file.read_text(encoding="utf-8"))
    with get_database().unit_of_work() as session:
        row = load_official_year(session, schedule, Principal.system("cli"))
    typer.echo(f"calendar {row.year} loaded from {row.source}")


@payouts_app.command("send")
def payouts_send(
    case: int | None = typer.Option(
        None, "--case", help="Only this case's payouts (its id); every case's without"
    ),
    batch: int = typer.Option(500, min=1, max=10_000, help="Payouts recorded in one transaction"),
) -> None:
    """Send the due payouts now, through the gateway's batch payouts: a mass case's tens of thousands in
    minutes, where the scheduler's sweep sends 500 one by one every 30 s. Safe beside the scheduler and to
    run again after a crash: each payout is asked for under its own key, so nobody is paid twice."""
    from collections import Counter

    from car_enforce.case_money import batches
    from car_enforce.case_money.payouts import due as due_payouts
    from car_enforce.core.db import get_database
    from car_enforce.core.payments import PaymentGateway

    _log_to_stderr()
    database = get_database()
    install_clock(database)
    reached: Counter[str] = Counter()

    def progress(done: int, due: int, statuses: list[str]) -> None:
        reached.update(statuses)
        typer.echo(
            f"{done:,} / {due:,} payouts sent: {reached['succeeded']:,} paid, {reached['failed']:,} declined"
        )

    with PaymentGateway() as gateway:
        statuses = batches.send_due_in_batches(
            database, batches.through_batches(gateway), case_id=case, batch=batch, on_batch=progress
        )
    with database.unit_of_work(read_only=True) as session:
        left = len(due_payouts(session, limit=1_000_000, case_id=case))
    paid, declined = statuses.count("succeeded"), statuses.count("failed")
    typer.echo(f"done: {paid:,} paid, {declined:,} declined, {left:,} still due")
    if left:
        raise typer.Exit(1)  # the gateway out of reach for some: the next run (or the sweep) asks again


@app.command("where")
def where() -> None:
    """Print where the platform keeps its data."""
    typer.echo(f"project: {PROJECT_ROOT}\ndatabase: {get_settings().database_url}")


def _shared_clock() -> SharedClock:
    from car_enforce.core.db import get_database

    return SharedClock(get_database(), refresh=timedelta(0))


@clock_app.command("show")
def clock_show() -> None:
    """The platform's time as every process using the shared clock sees it."""
    typer.echo(_shared_clock().now().isoformat())


@clock_app.command("set")
def clock_set(
    instant: datetime = typer.Argument(..., help="e.g. 2026-11-23T09:00:00+08:00"),
    frozen: bool = typer.Option(False, help="Time stands still at the instant instead of running on"),
) -> None:
    if instant.tzinfo is None:
        raise typer.BadParameter("give the instant with its UTC offset, e.g. 2026-11-23T09:00:00+08:00")
    _shared_clock().set(instant, running=not frozen)
    clock_show()


@clock_app.command("advance")
def clock_advance(
    minutes: float = typer.Option(0.0), hours: float = typer.Option(0.0), days: float = typer.Option(0.0)
) -> None:
    _shared_clock().advance(timedelta(minutes=minutes, hours=hours, days=days))
    clock_show()


@clock_app.command("release")
def clock_release() -> None:
    """Back to the real time for every process."""
    _shared_clock().release()
    clock_show()
