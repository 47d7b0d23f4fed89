"""Request and response shapes of an inspection and of its checklist."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from car_enforce.core.files.photos import MAX_PHOTO_BASE64, MAX_PHOTO_BYTES, MAX_PHOTOS, PhotoOut
from valuation.inspection.checklist import Checklist, checklist
from valuation.inspection.grading import grade_name, section_scores
from valuation.inspection.models import DefectTarget, Inspection

MAX_DEFECTS = 100
MAX_NOTES = 1000
MAX_REASON = 1000
EVIDENCE_REF = r"^sha256:[0-9a-f]{64}\.(jpg|png)$"


class ItemScoreIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(max_length=16, examples=["B01"], description="A checklist item's code")
    score: int = Field(description="0 to the item's points (all of them when nothing is wrong)")
    notes: str = Field(default="", max_length=MAX_NOTES)


class DefectPhotoIn(BaseModel):
    """A photo of a defect: a new image, or in a correction one the corrected version holds already."""

    model_config = ConfigDict(extra="forbid")

    caption: str = Field(default="", max_length=200, examples=["左前车门"])
    content_base64: str | None = Field(
        default=None,
        max_length=MAX_PHOTO_BASE64,
        description=f"A JPEG or PNG, base64-encoded; at most {MAX_PHOTO_BYTES // (1024 * 1024)} MiB decoded",
    )
    evidence_ref: str | None = Field(
        default=None,
        pattern=EVIDENCE_REF,
        description="Only in a correction, instead of the content: a photo of the version it corrects, "
        "kept as it is (its `evidence_ref` as the inspection shows it)",
    )

    @model_validator(mode="after")
    def _one_source(self) -> DefectPhotoIn:
        if (self.content_base64 is None) == (self.evidence_ref is None):
            raise ValueError("send either content_base64 (a new photo) or evidence_ref (a kept one)")
        return self


class DefectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target: DefectTarget = Field(
        description="item: a checklist item; structural: a point of the accident check; flood or fire damage"
    )
    point_code: str = Field(
        default="",
        max_length=16,
        examples=["B06"],
        description="The item or structural point it was found on; empty for flood and fire",
    )
    defect_code: str = Field(
        max_length=8,
        examples=["HH"],
        description="Body: HH BX XS LW AX XF; structural: BX NQ GH SH ZZ; flood: SP; fire: HS; "
        "other items: see GET /api/inspection-checklist",
    )
    notes: str = Field(default="", max_length=MAX_NOTES)
    photos: list[DefectPhotoIn] = Field(
        default_factory=list, max_length=MAX_PHOTOS, description="At least one photo of every defect"
    )


class InspectionIn(BaseModel):
    """A whole inspection by GB/T 30323-2013: every checklist item scored once, every defect photographed."""

    model_config = ConfigDict(extra="forbid")

    inspector_name: str = Field(min_length=1, max_length=64, examples=["王检测员"])
    inspected_at: datetime | None = Field(default=None, description="With its UTC offset; default: now")
    odometer_km: int | None = Field(default=None, ge=0, le=9_999_999)
    items: list[ItemScoreIn] = Field(max_length=500)
    defects: list[DefectIn] = Field(default_factory=list, max_length=MAX_DEFECTS)
    flood_damage: bool = Field(default=False, description="Flood damage (水泡) found; needs a flood defect")
    fire_damage: bool = Field(default=False, description="Fire damage (火烧) found; needs a fire defect")
    summary: str = Field(default="", max_length=4000)


class InspectionCorrectionIn(InspectionIn):
    """The whole inspection as it should have been recorded, and why the earlier version was wrong.

    `inspected_at` left out keeps the earlier version's. A defect's photo may be kept from the earlier
    version by its `evidence_ref` instead of being sent again.
    """

    reason: str = Field(
        min_length=1,
        max_length=MAX_REASON,
        examples=["B06项误录为扣1分，复核应扣2分"],
        description="Why the earlier version was wrong: shown on the report and on the case's timeline",
    )


class ItemOut(BaseModel):
    code: str
    section: str
    name: str
    points: int
    score: int
    notes: str


class DefectOut(BaseModel):
    id: int
    target: DefectTarget
    point_code: str
    point_name: str
    defect_code: str
    defect_name: str
    notes: str
    photos: list[PhotoOut]


class SectionScoreOut(BaseModel):
    code: str
    name: str
    points: int
    score: int


class CorrectionOut(BaseModel):
    replaces_id: int = Field(description="The version this one corrects")
    replaces_version: int
    reason: str
    corrected_at: datetime
    corrected_by: str


class InspectionOut(BaseModel):
    id: int
    custody_id: int
    version: int = Field(description="1 for the inspection as first recorded; each correction adds one")
    latest: bool = Field(description="Whether this version counts: false once a correction replaced it")
    corrects: CorrectionOut | None = Field(description="For a correction: what it replaces, why, by whom")
    corrected_by_id: int | None = Field(description="The version that corrected this one, if any")
    vehicle_id: int
    center_id: int
    checklist_version: str
    inspector_name: str
    inspected_at: datetime
    odometer_km: int | None
    recorded_at: datetime
    recorded_by: str
    score: int
    grade: int = Field(description="Technical grade 1–5; 5 is an accident vehicle, whatever the score")
    grade_name: str = Field(examples=["二级"])
    accident: bool
    flood_damage: bool
    fire_damage: bool
    summary: str
    sections: list[SectionScoreOut]
    items: list[ItemOut]
    defects: list[DefectOut]

    @classmethod
    def of(
        cls,
        inspection: Inspection,
        data: Checklist | None = None,
        *,
        replaced: Inspection | None = None,
        successor: Inspection | None = None,
    ) -> InspectionOut:
        """The version as the API shows it; ``replaced`` is the one it corrects (for a correction) and
        ``successor`` the one that corrected it (for a superseded version)."""
        data = data or checklist()
        photos_url = f"/api/inspections/{inspection.id}/defects"

        def item_name(code: str) -> str:
            found = data.item_index.get(code)
            return found[2].name if found else code

        recorded = {i.item_code: (i.section_code, i.points, i.score) for i in inspection.items}
        return cls(
            id=inspection.id,
            custody_id=inspection.custody_id,
            version=inspection.version,
            latest=successor is None,
            corrects=CorrectionOut(
                replaces_id=replaced.id,
                replaces_version=replaced.version,
                reason=inspection.correction_reason,
                corrected_at=inspection.recorded_at,
                corrected_by=inspection.recorded_by,
            )
            if replaced is not None
            else None,
            corrected_by_id=successor.id if successor is not None else None,
            vehicle_id=inspection.vehicle_id,
            center_id=inspection.center_id,
            checklist_version=inspection.checklist_version,
            inspector_name=inspection.inspector_name,
            inspected_at=inspection.inspected_at,
            odometer_km=inspection.odometer_km,
            recorded_at=inspection.recorded_at,
            recorded_by=inspection.recorded_by,
            score=inspection.score,
            grade=inspection.grade,
            grade_name=grade_name(inspection.grade),
            accident=inspection.accident,
            flood_damage=inspection.flood_damage,
            fire_damage=inspection.fire_damage,
            summary=inspection.summary,
            sections=[
                SectionScoreOut(code=s.code, name=s.name, points=s.points, score=s.score)
                for s in section_scores(data, recorded)
            ],
            items=[
                ItemOut(
                    code=i.item_code,
                    section=i.section_code,
                    name=item_name(i.item_code),
                    points=i.points,
                    score=i.score,
                    notes=i.notes,
                )
                for i in inspection.items
            ],
            defects=[
                DefectOut(
                    id=d.id,
                    target=d.target,
                    point_code=d.point_code,
                    point_name=data.point_name(d.target, d.point_code),
                    defect_code=d.defect_code,
                    defect_name=data.defect_name(d.target, d.point_code, d.defect_code),
                    notes=d.notes,
                    photos=[PhotoOut.of(p, f"{photos_url}/{d.id}/photos") for p in d.photos],
                )
                for d in inspection.defects
            ],
        )
