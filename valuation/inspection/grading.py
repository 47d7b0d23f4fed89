"""Score and technical grade of an inspection (GB/T 30323-2013), as pure functions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from valuation.inspection.checklist import Checklist

ACCIDENT_GRADE = 5
# (lowest score of the grade, grade), best first; below the last band is grade 4.
_BANDS = ((90, 1), (60, 2), (20, 3))
_LOWEST_GRADE_BY_SCORE = 4
GRADE_NAMES = {1: "一级", 2: "二级", 3: "三级", 4: "四级", 5: "五级"}


def total_score(scores: Iterable[int]) -> int:
    """The inspection's score: the sum of its item scores (0–100 for a whole checklist)."""
    return sum(scores)


def technical_grade(score: int, *, accident: bool) -> int:
    """Grade 1 ≥ 90, 2: 60–89, 3: 20–59, 4: < 20; an accident vehicle is grade 5 whatever its score."""
    if not 0 <= score <= 100:
        raise ValueError(f"a score is 0–100, not {score}")
    if accident:
        return ACCIDENT_GRADE
    return next((grade for lowest, grade in _BANDS if score >= lowest), _LOWEST_GRADE_BY_SCORE)


def grade_bands() -> dict[str, object]:
    """The bands as data, for a form that shows the grade as the items are scored (the same numbers)."""
    return {"bands": [list(b) for b in _BANDS], "lowest": _LOWEST_GRADE_BY_SCORE, "names": GRADE_NAMES}


def grade_name(grade: int) -> str:
    """The grade as the report prints it: 一级 … 五级."""
    return GRADE_NAMES[grade]


@dataclass(frozen=True, slots=True)
class SectionScore:
    code: str
    name: str
    points: int  # available
    score: int  # scored


def section_scores(checklist: Checklist, points: Mapping[str, tuple[str, int, int]]) -> list[SectionScore]:
    """Points scored and available per section, in the order of inspection.

    ``points`` maps each item code to (section code, points available, points scored) as they were
    recorded, so an inspection keeps its own figures when a center later edits the checklist.
    """
    by_section: dict[str, tuple[int, int]] = {}
    for section_code, available, scored in points.values():
        had = by_section.get(section_code, (0, 0))
        by_section[section_code] = (had[0] + available, had[1] + scored)
    ordered = [s.code for s in checklist.sections] + sorted(
        set(by_section) - {s.code for s in checklist.sections}
    )
    result = []
    for code in ordered:
        if code not in by_section:
            continue
        section = checklist.section(code)
        available, scored = by_section[code]
        result.append(SectionScore(code, section.name if section else code, available, scored))
    return result
