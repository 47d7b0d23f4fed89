"""Migration 0016: the keys of custodies taken in before keys were tracked one by one are written back."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from car_enforce.core import migrate

CUSTODY_COLUMNS = (
    "id, source, vehicle_id, center_id, court_id, case_id, status, vehicle_class, taken_in_at, taken_in_by, "
    "custodian_name, storage_from, bay, keys_received, keys_held_by, papers, belongings, condition_notes, "
    "signatures"
)


def test_each_key_received_before_0016_gets_its_row_in_the_hand_the_custody_named(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    migrate.upgrade(f"sqlite:///{path}", "0015")
    with sqlite3.connect(path) as raw:  # foreign keys are not enforced on a bare connection
        for custody_id, keys, held_by in ((1, 2, "检测员 王某"), (2, 0, ""), (3, 1, "李保管（钥匙柜）")):
            raw.execute(
                f"INSERT INTO custody ({CUSTODY_COLUMNS}) VALUES (?, 'capture', ?, 1, 1, 1, 'in_custody', "
                "'small', '2026-11-23 01:00:00', 'x', '李保管', '2026-11-23', 'A-07', ?, ?, "
                "'[]', '[]', '', '[]')",
                (custody_id, custody_id, keys, held_by),
            )
            raw.execute(
                "INSERT INTO custody_event (custody_id, seq, kind, at, recorded_by, to_place, keys_to, "
                "keys_count, notes) "
                "VALUES (?, 1, 'intake', '2026-11-23 01:00:00', 'x', 'A-07', ?, ?, '入库')",
                (custody_id, "李保管（钥匙柜）" if keys else None, keys),
            )
    migrate.upgrade(f"sqlite:///{path}")
    with sqlite3.connect(path) as raw:
        keys = raw.execute("SELECT custody_id, number, label, holder FROM custody_key ORDER BY id").fetchall()
        moved = raw.execute(
            "SELECT e.custody_id, k.label, m.from_holder, m.to_holder FROM custody_key_move m "
            "JOIN custody_event e ON e.id = m.event_id JOIN custody_key k ON k.id = m.key_id ORDER BY m.id"
        ).fetchall()
        columns = {row[1] for row in raw.execute("PRAGMA table_info(custody)")}
    assert keys == [
        (1, 1, "钥匙1", "检测员 王某"),
        (1, 2, "钥匙2", "检测员 王某"),
        (3, 1, "钥匙1", "李保管（钥匙柜）"),
    ]
    assert moved == [
        (1, "钥匙1", None, "李保管（钥匙柜）"),
        (1, "钥匙2", None, "李保管（钥匙柜）"),
        (3, "钥匙1", None, "李保管（钥匙柜）"),
    ]
    assert "keys_held_by" not in columns  # the keys themselves say who holds them now
