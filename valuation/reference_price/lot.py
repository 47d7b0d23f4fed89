"""The lot that orders the appraisal firms (摇号, 参考价规定 Art. 16), reproducible from its seed.

Art. 16: when the parties do not agree three firms and their order, three are drawn at random, in order.
The draw is a pure function of the seed and the set of candidates: the seed is recorded on the timeline
with the candidates (the inquiry system keeps the draw, 参考价规定 Art. 34), so anyone holding both can
redo it and see the same three firms in the same order. The order the candidates come in does not matter.
"""

from __future__ import annotations

import hashlib
import random
import secrets
from collections.abc import Sequence

from car_enforce.core.errors import RuleViolation
from valuation.reference_price.rules import APPRAISAL_FIRMS

RULE_LOT = "参考价规定 Art. 16: three appraisal firms and their order, agreed or drawn by lot"
SEED_BYTES = 16


def new_seed() -> str:
    """A fresh seed: 128 random bits as 32 hex digits, drawn from the operating system."""
    return secrets.token_hex(SEED_BYTES)


def draw(candidates: Sequence[int], seed: str, count: int = APPRAISAL_FIRMS) -> tuple[int, ...]:
    """The first ``count`` candidates in the order the seed gives them (fewer when fewer are known)."""
    if count < 1:
        raise RuleViolation(f"a draw picks at least one firm, not {count}", rule=RULE_LOT)
    pool = sorted(set(candidates))
    if not pool:
        raise RuleViolation("no appraisal firm to draw from: an administrator adds them first", rule=RULE_LOT)
    if not seed:
        raise RuleViolation("a draw needs its recorded seed", rule=RULE_LOT)
    # The seed text, hashed, seeds a generator of its own: the same text gives the same draw anywhere.
    rng = random.Random(int.from_bytes(hashlib.sha256(seed.encode()).digest(), "big"))
    return tuple(rng.sample(pool, min(count, len(pool))))
