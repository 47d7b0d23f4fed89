"""The GB/T 30323-2013 checklist as data: sections, items and their points, structural points, defect codes.

The data lives in ``gbt30323_2013.json`` beside this module so that a center can edit the item list
without touching code. It is checked whole when this module is imported: a file whose items do not add
up, or that repeats a code, stops the platform at start-up instead of mis-scoring inspections later.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cached_property, lru_cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from valuation.inspection.models import DefectTarget

DATA_FILE = "gbt30323_2013.json"
TOTAL_POINTS = 100
# GB/T 30323-2013 inspects in this order; the weights stay in the data, the order is the standard's.
SECTION_ORDER = ("body", "engine_bay", "cabin", "start_up", "road_test", "chassis")
# Sets of defect codes the targets other than a checklist item are tied to.
STRUCTURAL_SET, FLOOD_SET, FIRE_SET = "structural", "flood", "fire"
# Column widths of inspection_item.item_code / inspection_defect.point_code and defect_code.
MAX_POINT_CODE, MAX_DEFECT_CODE = 16, 8


class ChecklistError(ValueError):
    """The checklist data is broken; raised at import, so the platform does not start with it."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DefectCode(_Strict):
    code: str = Field(min_length=1, max_length=MAX_DEFECT_CODE, pattern=r"^[A-Z0-9_]+$")
    name: str = Field(min_length=1)


class Point(_Strict):
    """A structural point of the accident check (a pillar, a longitudinal beam…)."""

    code: str = Field(min_length=1, max_length=MAX_POINT_CODE, pattern=r"^[A-Z0-9_]+$")
    name: str = Field(min_length=1)


class Item(_Strict):
    code: str = Field(min_length=1, max_length=MAX_POINT_CODE, pattern=r"^[A-Z0-9_]+$")
    name: str = Field(min_length=1)
    points: int = Field(ge=1, description="The most the item scores (all of it when nothing is wrong)")


class Section(_Strict):
    code: str
    name: str = Field(min_length=1)
    points: int = Field(ge=1)
    defect_codes: str = Field(description="The name of the set of defect codes its items may carry")
    items: tuple[Item, ...] = Field(min_length=1)


class Checklist(_Strict):
    standard: str
    title: str
    version: str = Field(min_length=1, max_length=64)
    source: str = Field(min_length=1)
    defect_codes: dict[str, tuple[DefectCode, ...]]
    structural_points: tuple[Point, ...] = Field(min_length=1)
    sections: tuple[Section, ...]

    @model_validator(mode="after")
    def _consistent(self) -> Checklist:
        codes = tuple(s.code for s in self.sections)
        if codes != SECTION_ORDER:
            raise ValueError(f"sections must be {', '.join(SECTION_ORDER)} in this order, not {codes}")
        total = sum(s.points for s in self.sections)
        if total != TOTAL_POINTS:
            raise ValueError(f"the sections' points add up to {total}, not {TOTAL_POINTS}")
        for section in self.sections:
            items_total = sum(i.points for i in section.items)
            if items_total != section.points:
                raise ValueError(
                    f"section {section.code}: its items add up to {items_total}, not {section.points}"
                )
            if section.defect_codes not in self.defect_codes:
                raise ValueError(f"section {section.code}: no defect code set named {section.defect_codes!r}")
        for required in (STRUCTURAL_SET, FLOOD_SET, FIRE_SET):
            if not self.defect_codes.get(required):
                raise ValueError(f"defect_codes.{required} is missing or empty")
        for name, entries in self.defect_codes.items():
            _unique(f"defect_codes.{name}", [d.code for d in entries])
        # Items and structural points share the point_code column of a defect: one namespace.
        points = [i.code for s in self.sections for i in s.items] + [p.code for p in self.structural_points]
        _unique("item and structural point codes", points)
        return self

    @cached_property
    def items(self) -> tuple[tuple[Section, Item], ...]:
        """Every item with its section, in the order of inspection."""
        return tuple((s, i) for s in self.sections for i in s.items)

    @cached_property
    def item_index(self) -> Mapping[str, tuple[int, Section, Item]]:
        """Item code → (position in the order of inspection, section, item)."""
        return {item.code: (n, section, item) for n, (section, item) in enumerate(self.items)}

    @cached_property
    def structural_index(self) -> Mapping[str, Point]:
        return {p.code: p for p in self.structural_points}

    def section(self, code: str) -> Section | None:
        return next((s for s in self.sections if s.code == code), None)

    def codes_for(self, target: DefectTarget, point_code: str) -> tuple[DefectCode, ...]:
        """The defect codes valid on a target (and, for an item, on that item's section); () if none."""
        if target == DefectTarget.ITEM:
            found = self.item_index.get(point_code)
            return self.defect_codes[found[1].defect_codes] if found else ()
        if target == DefectTarget.STRUCTURAL:
            return self.defect_codes[STRUCTURAL_SET] if point_code in self.structural_index else ()
        return self.defect_codes[FLOOD_SET if target == DefectTarget.FLOOD else FIRE_SET]

    def point_name(self, target: DefectTarget, point_code: str) -> str:
        """The Chinese name of the place a defect was found; the code itself if the data no longer has it."""
        if target == DefectTarget.ITEM:
            found = self.item_index.get(point_code)
            return found[2].name if found else point_code
        if target == DefectTarget.STRUCTURAL:
            point = self.structural_index.get(point_code)
            return point.name if point else point_code
        return ""

    def defect_name(self, target: DefectTarget, point_code: str, defect_code: str) -> str:
        """The Chinese name of a defect code on its target; the code itself if the data no longer has it."""
        for entry in self.codes_for(target, point_code):
            if entry.code == defect_code:
                return entry.name
        return defect_code


def _unique(what: str, codes: list[str]) -> None:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise ValueError(f"{what}: {code} appears twice")
        seen.add(code)


def parse_checklist(document: Any) -> Checklist:
    """The checklist from its JSON document; ChecklistError saying what is wrong otherwise."""
    try:
        return Checklist.model_validate(document)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise ChecklistError(f"the GB/T 30323 checklist data is broken: {exc}") from exc


@lru_cache(maxsize=1)
def checklist() -> Checklist:
    """The checklist shipped with the package, read and checked once per process."""
    text = resources.files("valuation.inspection").joinpath(DATA_FILE).read_text(encoding="utf-8")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ChecklistError(f"{DATA_FILE} is not valid JSON: {exc}") from exc
    return parse_checklist(document)


checklist()  # at import: broken data stops the platform at start-up, not at the first inspection
