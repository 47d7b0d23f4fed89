"""A status machine as a table: which verb may move a record from which status to which.

Each domain declares its table and its conflict error and keeps one verb per transition (DESIGN §4.2);
this holds the one guard they all share.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Generic, TypeVar

from car_enforce.core.errors import Conflict, Rule

S = TypeVar("S", bound=StrEnum)

# What a person at a page reads when a machine has no Chinese names of its own.
GENERIC_ZH = "当前状态不允许此操作"


class StatusMachine(Generic[S]):
    def __init__(
        self,
        noun: str,
        table: dict[str, tuple[frozenset[S], S]],
        status: type[S],
        conflict: type[Conflict],
        *,
        noun_zh: str | None = None,
        status_names_zh: Mapping[str, str] | None = None,
    ) -> None:
        self.noun = noun  # "watch", "alert": used in the conflict's message
        self.table = table
        self.status = status
        self.conflict = conflict
        # 布控, 预警: the Chinese refusal names the record and its statuses the way the pages do.
        self.noun_zh = noun_zh
        self.status_names_zh = dict(status_names_zh or {})

    def verbs(self) -> list[str]:
        return list(self.table)

    def can(self, verb: str, status: S | str) -> bool:
        return status in self.table[verb][0]

    def refusal_zh(self, status: S | str, sources: frozenset[S]) -> str:
        """The generic refusal in Chinese: the record's status and the statuses the verb needs."""
        names = self.status_names_zh
        if self.noun_zh is None or status not in names or any(s not in names for s in sources):
            return GENERIC_ZH
        allowed = "或".join(f"“{names[s]}”" for s in sorted(sources))
        return (
            f"此{self.noun_zh}当前为“{names[status]}”状态，不能办理此项；"
            f"只有{allowed}状态的{self.noun_zh}才能办理"
        )

    def move(
        self,
        record: Any,
        verb: str,
        *,
        rule: str | Rule | None = None,
        refusal: str | None = None,
        refusal_zh: str | None = None,
    ) -> S:
        """Check the guard and set ``record.status``; the previous status is returned.

        ``refusal`` (and ``refusal_zh``): the conflict's message in the verb's own words, when the generic
        one would say less.
        """
        sources, target = self.table[verb]
        if record.status not in sources:
            zh = refusal_zh or self.refusal_zh(record.status, sources)
            if refusal is not None:
                raise self.conflict(refusal, rule=rule, zh=zh)
            allowed = " or ".join(sorted(sources))
            article = "an" if self.noun[:1] in "aeiou" else "a"
            raise self.conflict(
                f"{self.noun} {record.id} is {record.status}; only {article} {self.noun} that is {allowed} "
                f"can {verb}",
                rule=rule,
                zh=zh,
            )
        previous = self.status(record.status)
        record.status = target
        return previous
