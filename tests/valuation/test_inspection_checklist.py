"""The GB/T 30323-2013 checklist data and the grading rules, without a database."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from valuation.inspection.checklist import ChecklistError, checklist, parse_checklist
from valuation.inspection.grading import grade_name, section_scores, technical_grade, total_score
from valuation.inspection.models import DefectTarget


def document() -> dict[str, Any]:
    """The shipped checklist as a plain document, to break one thing at a time."""
    return copy.deepcopy(checklist().model_dump(mode="json"))


def test_the_sections_come_in_the_standards_order_and_weigh_100() -> None:
    data = checklist()
    assert [(s.code, s.name, s.points) for s in data.sections] == [
        ("body", "车身检查", 20),
        ("engine_bay", "发动机舱检查", 20),
        ("cabin", "驾驶舱检查", 10),
        ("start_up", "起动检查", 20),
        ("road_test", "路试检查", 15),
        ("chassis", "底盘检查", 15),
    ]
    assert sum(s.points for s in data.sections) == 100
    for section in data.sections:
        assert sum(i.points for i in section.items) == section.points, section.code
    assert sum(item.points for _, item in data.items) == 100


def test_item_codes_are_unique_and_in_the_order_of_inspection() -> None:
    data = checklist()
    codes = [item.code for _, item in data.items]
    assert len(codes) == len(set(codes)) == 66
    assert data.item_index["B01"][0] == 0 and data.item_index["D08"][0] == 65
    assert data.item_index["E01"][1].code == "engine_bay"


def test_the_accident_check_covers_the_structural_points_with_the_standards_codes() -> None:
    data = checklist()
    names = {p.name for p in data.structural_points}
    for pillar in "ABC":
        assert {f"左{pillar}柱", f"右{pillar}柱"} <= names
    assert {"左前纵梁", "右前纵梁", "左前减震器悬挂部位", "右前减震器悬挂部位", "车体左右对称性"} <= names
    structural = [(c.code, c.name) for c in data.codes_for(DefectTarget.STRUCTURAL, "A_L")]
    assert structural == [("BX", "变形"), ("NQ", "扭曲"), ("GH", "更换"), ("SH", "烧焊"), ("ZZ", "褶皱")]
    body = [(c.code, c.name) for c in data.codes_for(DefectTarget.ITEM, "B06")]
    assert body == [
        ("HH", "划痕"),
        ("BX", "变形"),
        ("XS", "锈蚀"),
        ("LW", "裂纹"),
        ("AX", "凹陷"),
        ("XF", "修复痕迹"),
    ]


def test_defect_codes_depend_on_the_target() -> None:
    data = checklist()
    assert "HH" not in {c.code for c in data.codes_for(DefectTarget.ITEM, "E07")}  # not a body item
    assert "LH" in {c.code for c in data.codes_for(DefectTarget.ITEM, "E07")}
    assert data.codes_for(DefectTarget.ITEM, "A_L") == ()  # a structural point is not an item
    assert data.codes_for(DefectTarget.STRUCTURAL, "B06") == ()
    assert [c.name for c in data.codes_for(DefectTarget.FLOOD, "")] == ["水泡"]
    assert [c.name for c in data.codes_for(DefectTarget.FIRE, "")] == ["火烧"]
    assert data.defect_name(DefectTarget.STRUCTURAL, "A_L", "SH") == "烧焊"
    assert data.point_name(DefectTarget.ITEM, "B06") == "左前车门"


def test_the_data_file_says_where_it_comes_from() -> None:
    data = checklist()
    assert data.standard == "GB/T 30323-2013"
    assert "paraphrase" in data.source and "section weights" in data.source
    assert checklist() is data  # read once per process


def test_items_that_do_not_add_up_to_their_section_are_refused() -> None:
    broken = document()
    broken["sections"][2]["items"][0]["points"] += 1
    with pytest.raises(ChecklistError, match="section cabin: its items add up to 11, not 10"):
        parse_checklist(broken)


def test_sections_that_do_not_add_up_to_100_are_refused() -> None:
    broken = document()
    broken["sections"][5]["points"] = 16
    broken["sections"][5]["items"][0]["points"] += 1
    with pytest.raises(ChecklistError, match="add up to 101, not 100"):
        parse_checklist(broken)


def test_a_repeated_code_is_refused() -> None:
    broken = document()
    broken["sections"][1]["items"][0]["code"] = "B01"
    with pytest.raises(ChecklistError, match="B01 appears twice"):
        parse_checklist(broken)
    broken = document()
    broken["defect_codes"]["body"].append({"code": "HH", "name": "划痕"})
    with pytest.raises(ChecklistError, match=r"defect_codes\.body: HH appears twice"):
        parse_checklist(broken)


def test_sections_out_of_the_standards_order_are_refused() -> None:
    broken = document()
    broken["sections"][0], broken["sections"][1] = broken["sections"][1], broken["sections"][0]
    with pytest.raises(ChecklistError, match="in this order"):
        parse_checklist(broken)


@pytest.mark.parametrize(
    ("score", "grade"),
    [(100, 1), (90, 1), (89, 2), (60, 2), (59, 3), (20, 3), (19, 4), (0, 4)],
)
def test_grade_boundaries(score: int, grade: int) -> None:
    assert technical_grade(score, accident=False) == grade


@pytest.mark.parametrize("score", [100, 90, 59, 0])
def test_an_accident_vehicle_is_grade_5_whatever_its_score(score: int) -> None:
    assert technical_grade(score, accident=True) == 5


def test_a_score_outside_0_to_100_has_no_grade() -> None:
    for score in (-1, 101):
        with pytest.raises(ValueError, match="0–100"):
            technical_grade(score, accident=False)


def test_grade_names_and_totals() -> None:
    assert [grade_name(g) for g in range(1, 6)] == ["一级", "二级", "三级", "四级", "五级"]
    assert total_score([20, 15, 10, 16, 13, 11]) == 85


def test_section_scores_follow_the_recorded_points_in_the_standards_order() -> None:
    recorded = {
        "D01": ("chassis", 2, 1),
        "B01": ("body", 1, 0),
        "B02": ("body", 1, 1),
        "E01": ("engine_bay", 3, 3),
    }
    scores = section_scores(checklist(), recorded)
    assert [(s.name, s.score, s.points) for s in scores] == [
        ("车身检查", 1, 2),
        ("发动机舱检查", 3, 3),
        ("底盘检查", 1, 2),
    ]
