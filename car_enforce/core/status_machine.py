"""A status machine as a table: which verb may move a record from which status to which.

Each domain declares its table and its conflict error and keeps one verb per transition (DESIGN §4.2);
this holds the one guard they all share.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Generic, TypeVar

from car_enforce.core.errors import Conflict

S = TypeVar("S", bound=StrEnum)


class StatusMachine(Generic[S]):
    def __init__(
        self,
        noun: str,
        table: dict[str, tuple[frozenset[S], S]],
        status: type[S],
        conflict: type[Conflict],
    ) -> None:
        self.noun = noun  # "watch", "alert": used in the conflict's message
        self.table = table
        self.status = status
        self.conflict = conflict

    def verbs(self) -> list[str]:
        return list(self.table)

    def can(self, verb: str, status: S | str) -> bool:
        return status in self.table[verb][0]

    def move(self, record: Any, verb: str, *, rule: str | None = None, refusal: str | None = None) -> S:
        """Check the guard and set ``record.status``; the previous status is returned.

        ``refusal``: the conflict's message in the verb's own words, when the generic one would say less.
        """
        sources, target = self.table[verb]
        if record.status not in sources and refusal is not None:
            raise self.conflict(refusal, rule=rule)
        if record.status not in sources:
            allowed = " or ".join(sorted(sources))
            article = "an" if self.noun[:1] in "aeiou" else "a"
            raise self.conflict(
                f"{self.noun} {record.id} is {record.status}; only {article} {self.noun} that is {allowed} "
                f"can {verb}",
                rule=rule,
            )
        previous = self.status(record.status)
        record.status = target
        return previous
