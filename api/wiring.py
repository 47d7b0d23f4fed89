"""The composition root: which handlers each kind of domain event reaches, which handler runs each kind
of long work, and which clock runs.

A verb records one event (``car_enforce.core.events``); everything that follows from it is listed here,
so a later stage reacts to an earlier one's event without the earlier one knowing it exists.
Handlers run in the verb's transaction, in the order they are registered.
"""

from __future__ import annotations

from auction import handlers as auction
from auction.platforms import handlers as auction_platforms
from auction.settlement import defaults as settlement_defaults
from auction.settlement import money as settlement_money
from auction.settlement import opening as settlement_opening
from auction.settlement import progress as settlement
from car_enforce import notices
from car_enforce.case_money import handlers as case_money
from car_enforce.core import boundary_import as boundary_work
from car_enforce.core import clock, events
from car_enforce.core.db import Database, get_database
from car_enforce.core.events import Handlers
from car_enforce.core.notify.handlers import tell_parties
from car_enforce.core.settings import get_settings
from car_enforce.core.shared_clock import SharedClock
from car_enforce.core.work import runner as work
from car_enforce.custody import handlers as custody
from car_enforce.inventory import background as inventory_work
from car_enforce.registry import handlers as registry
from car_enforce.stages import handlers as stages
from car_enforce.watches import handlers as watches
from valuation.reference_price import handlers as reference_price


def event_handlers() -> Handlers:
    handlers = Handlers()
    handlers.on("*", tell_parties)  # webhooks to the organisations party to the event
    handlers.on("*", notices.deliver)  # texts to the watch's officer and the case's creditors
    for kind in stages.REACHED_BY:
        handlers.on(kind, stages.reach_stage)  # the stage clocks and the legal deadlines
    handlers.on("custody.released", watches.car_left_custody)  # the watch that held the car ends
    for kind in reference_price.SERVED_ON:
        handlers.on(kind, reference_price.serve_notice)  # the notice of the price, served on the parties
    handlers.on(
        "custody.released", reference_price.car_left_custody
    )  # a price still being fixed is withdrawn
    handlers.on("reference_price.fee_awarded", reference_price.fee_to_case)  # a cost of the case
    handlers.on("custody.released", auction.custody_released)  # a lot still selling is withdrawn
    # A round on an outside platform: its publication marked due; the sweep makes the calls after the commit.
    handlers.on("auction.announced", auction_platforms.announced)
    for kind in auction_platforms.CHANGES:
        handlers.on(kind, auction_platforms.changed)
    handlers.on("auction.withdrawn", auction_platforms.withdrawn)
    # From the hammer to the new title: a sold round opens its settlement, which then moves itself on.
    handlers.on("auction.closed", settlement_opening.round_sold)
    handlers.on("auction.closed", settlement_defaults.apply_forfeits)  # a resale applies forfeited deposits
    for kind in settlement.SETTLEMENT_EVENTS:
        handlers.on(kind, settlement.on_settlement_event)
    handlers.on("custody.released", settlement.on_custody_released)
    for kind in ("registry.transfer_completed", "registry.transfer_refused", "registry.request_failed"):
        handlers.on(kind, settlement.on_registry_news)  # the new title, or the registry's reason
    handlers.on("auction.defaulted", settlement_defaults.on_default)
    # The debtor paid in full before the sale: the sale ends first (refused if a car is sold), then the
    # watches are lifted and the cars at the centers ordered back to their owners.
    handlers.on("case.debtor_paid", auction.debtor_paid)
    handlers.on("case.debtor_paid", watches.debtor_paid)
    handlers.on("case.debtor_paid", custody.debtor_paid)
    handlers.on("case.debtor_paid", registry.debtor_paid)  # the registry's seizures released
    # The case's account (一案一账号): money in as it arrives, the car's costs once it leaves the center.
    handlers.on("case.debtor_paid", case_money.debtor_paid)
    handlers.on("auction.balance_paid", settlement_money.price_paid)
    handlers.on("auction.defaulted", settlement_money.deposit_forfeited)
    handlers.on("custody.released", custody.costs_to_case)
    return handlers


def install_clock(database: Database | None = None) -> None:
    """Under ``CARENFORCE_CLOCK=shared`` every process reads the clock kept in the database (the process's
    own when none is named); otherwise the database is not touched."""
    if get_settings().clock == "shared" and not isinstance(clock.get_clock(), SharedClock):
        clock.set_clock(SharedClock(database or get_database()))


def install_handlers() -> None:
    """Install the handlers once per process (the app, the scheduler, the CLI, the tests)."""
    if events.installed() is None:
        events.install(event_handlers())
    # Long work started from the console, by kind (car_enforce.core.work).
    work.register(inventory_work.KIND, inventory_work.run)
    work.register(boundary_work.KIND, boundary_work.run)
