"""An inventory import from the console as long work: the file is checked and its import begun while the
clerk waits; its rows are matched in the background, a few per transaction, the page showing how many."""

from __future__ import annotations

from sqlalchemy.orm import Session

from car_enforce.core.db import Database
from car_enforce.core.files import evidence
from car_enforce.core.identity.models import Organisation
from car_enforce.core.identity.principal import Principal
from car_enforce.core.work import runner
from car_enforce.core.work import service as work
from car_enforce.core.work.models import WorkItem, WorkStatus
from car_enforce.inventory import service
from car_enforce.inventory.models import InventoryImport
from car_enforce.inventory.towbook import parse_towbook

KIND = "inventory.import"
ROWS_PER_STEP = 25


def start(
    session: Session, *, actor: Principal, center: Organisation, data: bytes, file_name: str
) -> WorkItem | InventoryImport:
    """The queued work of a new file; for a file imported before, its first import (nothing is queued)."""
    imp, export = service.begin_import(session, actor=actor, center=center, data=data, file_name=file_name)
    if export is None:
        # The same file again: its import, unless the work that matches its rows did not finish; then that
        # work (still going), or new work that takes up the rows where the failed one stopped.
        last = next(
            (w for w in work.recent_work(session, actor, KIND, 50) if w.params["import_id"] == imp.id), None
        )
        if last is None or last.status == WorkStatus.DONE:
            return imp
        if last.status != WorkStatus.FAILED:
            return last
        export = parse_towbook(evidence.read(imp.file_ref))
    return work.submit(
        session,
        actor,
        kind=KIND,
        title=f"导入库存 {imp.file_name or imp.file_digest[:12]}",
        total=len(export.rows),
        params={"import_id": imp.id},
        input_ref=imp.file_ref,
    )


def run(database: Database, job: runner.Job) -> None:
    """Match the file's rows step by step; the step that matches the last row records the import."""
    assert job.input_ref is not None
    rows = parse_towbook(evidence.read(job.input_ref)).rows
    import_id = int(job.params["import_id"])
    steps = [rows[i : i + ROWS_PER_STEP] for i in range(0, len(rows), ROWS_PER_STEP)] or [[]]
    for number, chunk in enumerate(steps, start=1):
        with database.unit_of_work() as session:
            actor = job.actor(session)
            imp = session.get(InventoryImport, import_id)
            assert imp is not None
            service.import_rows(session, actor, imp, chunk)
            job.progress(session, min(number * ROWS_PER_STEP, len(rows)))
            if number == len(steps):
                counts = service.finish_import(session, actor, imp)
                job.complete(
                    session,
                    {
                        "import_id": imp.id,
                        "summary": f"共 {len(rows)} 行：入库 {counts.matched}，待核对 {counts.review}",
                    },
                )
