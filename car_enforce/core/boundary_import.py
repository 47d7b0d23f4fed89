"""A boundary import from the console as long work: the file is checked and kept as a draft the
administrator previews on the map; once confirmed, its features are written one per transaction, the
page showing how many."""

from __future__ import annotations

from sqlalchemy.orm import Session

from car_enforce.core import events
from car_enforce.core.db import Database
from car_enforce.core.events import DomainEvent
from car_enforce.core.files import evidence
from car_enforce.core.geo.datum import Datum
from car_enforce.core.geo.importer import (
    BoundaryPlan,
    ParsedBoundaries,
    parse_boundaries,
    plan_boundaries,
    write_boundaries,
)
from car_enforce.core.geo.models import JurisdictionLevel
from car_enforce.core.identity.principal import Principal
from car_enforce.core.work import runner
from car_enforce.core.work import service as work
from car_enforce.core.work.models import WorkItem

KIND = "jurisdictions.import"


def draft(
    session: Session,
    *,
    actor: Principal,
    data: bytes,
    file_name: str,
    datum: Datum,
    level: JurisdictionLevel,
    parent_code: str | None,
    source: str,
) -> WorkItem:
    """A checked file kept for its preview; InvalidInput (nothing kept) for a file the import would
    refuse."""
    parsed = parse_boundaries(
        data.decode("utf-8", errors="replace"),
        datum=datum,
        level=level,
        parent_code=parent_code,
        source=source,
    )
    plan_boundaries(session, parsed)  # a missing parent or a path too long is said now, not after confirming
    return work.submit(
        session,
        actor,
        kind=KIND,
        title=f"导入边界 {file_name or source}"[: work.MAX_TITLE],
        total=len(parsed.features),
        params={
            "datum": parsed.datum.value,
            "level": parsed.level.value,
            "parent_code": parent_code,
            "source": parsed.source,
        },
        input_ref=evidence.store(data, suffix="json", field="file"),
        draft=True,
    )


def parsed_of(params: dict[str, object], input_ref: str) -> ParsedBoundaries:
    text = evidence.read(input_ref).decode("utf-8", errors="replace")
    parent = params.get("parent_code")
    return parse_boundaries(
        text,
        datum=Datum(str(params["datum"])),
        level=JurisdictionLevel(str(params["level"])),
        parent_code=str(parent) if parent else None,
        source=str(params["source"]),
    )


def preview(session: Session, item: WorkItem) -> BoundaryPlan:
    """What the draft would do to the jurisdictions as they are now."""
    assert item.input_ref is not None
    return plan_boundaries(session, parsed_of(item.params, item.input_ref))


def run(database: Database, job: runner.Job) -> None:
    """Write the features one per transaction; the last one records the import and completes the work."""
    assert job.input_ref is not None
    parsed = parsed_of(job.params, job.input_ref)
    with database.unit_of_work(read_only=True) as session:
        job.actor(session)  # the person the import is recorded for, there before any feature is written
    for number, feature in enumerate(parsed.features, start=1):
        with database.unit_of_work() as session:
            write_boundaries(session, plan_boundaries(session, parsed, [feature]))
            job.progress(session, number)
            if number == len(parsed.features):
                events.record(
                    session,
                    job.actor(session),
                    DomainEvent(
                        kind="jurisdictions.imported",
                        subject=f"jurisdictions:{parsed.level.value}",
                        case_id=None,
                        data={"source": parsed.source, "count": len(parsed.features), "work_id": job.id},
                    ),
                )
                job.complete(session, {"summary": f"{len(parsed.features)} 个区域的边界已导入"})
