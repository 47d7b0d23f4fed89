"""Every status machine, tested from its own table: each verb from each status, without a database.

A verb moves a record from exactly the statuses its table lists, to the status it names; from any other
status it raises the machine's conflict and leaves the record as it was.
"""

from __future__ import annotations

from enum import StrEnum
from types import SimpleNamespace
from typing import Any

import pytest

from auction import transitions as auction
from car_enforce.captures import transitions as captures
from car_enforce.case_money import transitions as case_money
from car_enforce.core.errors import Conflict
from car_enforce.core.notify import transitions as notifications
from car_enforce.core.status_machine import StatusMachine
from car_enforce.core.work import transitions as work
from car_enforce.custody import transitions as custody
from car_enforce.registry import transitions as registry
from car_enforce.sightings import transitions as alerts
from car_enforce.watches import transitions as watches
from valuation.reference_price import transitions as reference_price

MACHINES: dict[str, StatusMachine[Any]] = {
    "watch": watches.MACHINE,
    "capture": captures.MACHINE,
    "alert": alerts.MACHINE,
    "custody": custody.CUSTODY,
    "release order": custody.ORDER,
    "notification": notifications.MACHINE,
    "reference price": reference_price.MACHINE,
    "work item": work.MACHINE,
    "lot": auction.LOT,
    "round": auction.ROUND,
    "registry request": registry.MACHINE,
    "payout": case_money.PAYOUT,
}

CASES = [
    pytest.param(machine, verb, status, id=f"{name}:{verb}:{status}")
    for name, machine in MACHINES.items()
    for verb in machine.verbs()
    for status in machine.status
]


@pytest.mark.parametrize(("machine", "verb", "status"), CASES)
def test_a_verb_moves_only_from_the_statuses_of_its_table(
    machine: StatusMachine[Any], verb: str, status: StrEnum
) -> None:
    sources, target = machine.table[verb]
    record = SimpleNamespace(id=42, status=status.value)  # a String column gives back a plain string
    if status in sources:
        assert machine.can(verb, status)
        assert machine.move(record, verb) == status
        assert record.status == target
    else:
        assert not machine.can(verb, status)
        with pytest.raises(machine.conflict, match=f"{machine.noun} 42 is {status.value}") as raised:
            machine.move(record, verb)
        assert isinstance(raised.value, Conflict)
        assert record.status == status.value


@pytest.mark.parametrize("name", list(MACHINES))
def test_every_table_names_statuses_of_its_own_enum(name: str) -> None:
    machine = MACHINES[name]
    for verb, (sources, target) in machine.table.items():
        assert sources, f"{name}.{verb} starts from no status"
        assert {*sources, target} <= set(machine.status), f"{name}.{verb} names a foreign status"


def test_a_refusal_in_the_verbs_own_words_replaces_the_generic_message() -> None:
    record = SimpleNamespace(id=3, status="revoked")
    with pytest.raises(custody.ReleaseOrderStateConflict, match=r"^order 3 was revoked$"):
        custody.ORDER.move(record, "execute", refusal="order 3 was revoked")
    assert record.status == "revoked"
