"""The lot (摇号) that picks the appraisal firms and their order, pure and reproducible.

参考价规定 Art. 16: when the parties do not agree on three firms and their order within the period set, or
a party cannot be found, three firms and their order are drawn at random by lot (摇号) from the list; Art.
34 wants the draw recorded and kept with the case.

The draw is a function of the seed and the set of candidates only: the candidates (organisation ids) are
sorted, a ``random.Random`` is seeded with the SHA-256 of the seed's UTF-8 text (as a big-endian integer),
and ``sample`` puts every candidate in order; the firms are the first ``count`` of that order. The seed is
recorded on the timeline with the candidates, so anyone holding both can redo the draw and get the same
firms in the same order; nobody can choose the seed's outcome, because it comes from ``secrets``.
"""

from __future__ import annotations

import hashlib
import random
import secrets
from collections.abc import Sequence

from car_enforce.core.errors import InvalidInput, Rule, RuleViolation
from valuation.reference_price import rules

RULE_LOT = Rule(
    "参考价规定 Art. 16: failing the parties' agreement, three appraisal firms and their order are drawn by "
    "lot from the list",
    "《参考价规定》第十六条：双方当事人在指定期限内协商不成或者一方当事人下落不明的，"
    "采取摇号方式随机确定三家评估机构以及顺序",
)


def new_seed() -> str:
    """A fresh seed: 128 random bits as 32 hex characters."""
    return secrets.token_hex(16)


def _rng(seed: str) -> random.Random:
    return random.Random(int.from_bytes(hashlib.sha256(seed.encode("utf-8")).digest(), "big"))


def draw(candidates: Sequence[int], seed: str, count: int = rules.APPRAISAL_FIRMS) -> tuple[int, ...]:
    """The firms drawn, in order: the first ``count`` of the seed's order of the candidates (all of them
    when there are fewer). The candidates' order, and any repeated id, do not change the result."""
    if not seed:
        raise InvalidInput(
            "seed",
            "a draw needs a seed, recorded so the draw can be redone",
            zh="摇号需要随机种子，并须记录以便复核",
        )
    if count < 1:
        raise RuleViolation(
            f"a draw picks at least one firm, not {count}",
            rule=RULE_LOT,
            zh=f"摇号至少选出一家评估机构，不能是 {count} 家",
        )
    pool = sorted(set(candidates))
    if not pool:
        raise RuleViolation("no appraisal firm to draw from", rule=RULE_LOT, zh="没有可供摇号的评估机构")
    order = _rng(seed).sample(pool, len(pool))
    return tuple(order[:count])


__all__ = ["RULE_LOT", "draw", "new_seed"]
