"""Refusals in Chinese: every domain error raised in the swept packages carries its ``zh`` wording, which a
page shows (with the rule's article) and the JSON API returns as ``detail_zh`` beside the English."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from car_enforce.core import errors
from car_enforce.core.errors import Conflict, DomainError
from car_enforce.core.notify import transitions as notifications
from car_enforce.core.status_machine import GENERIC_ZH, StatusMachine
from car_enforce.custody import transitions as custody
from car_enforce.sightings import transitions as alerts
from car_enforce.watches import transitions as watches
from tests.api_helpers import login
from tests.factories import World
from tests.read_helpers import key, read
from tests.web.console_helpers import log_in
from valuation.reference_price import transitions as reference_price

ROOT = Path(__file__).resolve().parents[2]

# The packages (and modules) whose refusals have been worded in Chinese. A later sweep adds its packages
# here, and this test keeps every one of them complete.
SWEPT = (
    "car_enforce/watches",
    "car_enforce/sightings",
    "car_enforce/inventory",
    "car_enforce/stages",
    "car_enforce/core/geo",
    "car_enforce/core/calendar",
    "car_enforce/core/notify",
    "car_enforce/core/status_machine.py",
    "valuation/reference_price",
    "valuation/inquiry",
    "auction",
)

# Attributes that hold a DomainError class rather than name one: ``self.conflict(...)`` in StatusMachine.
ERROR_ATTRIBUTES = frozenset({"conflict"})


def _subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


def _sources() -> list[Path]:
    files: list[Path] = []
    for entry in SWEPT:
        path = ROOT / entry
        assert path.exists(), f"{entry} is listed in SWEPT but does not exist"
        files.extend([path] if path.is_file() else sorted(path.rglob("*.py")))
    return files


def _module_of(path: Path) -> ModuleType:
    name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
    return importlib.import_module(name)


def _resolved(module: ModuleType, node: ast.expr) -> object:
    if isinstance(node, ast.Name):
        return getattr(module, node.id, None)
    if isinstance(node, ast.Attribute):
        owner = _resolved(module, node.value)
        return None if owner is None else getattr(owner, node.attr, None)
    return None


def _builds_a_domain_error(module: ModuleType, call: ast.Call, names: set[str]) -> bool:
    target = _resolved(module, call.func)
    if isinstance(target, type):
        return issubclass(target, DomainError)
    # Not a module-level name (a local import, an attribute of ``self``): judged by its name.
    name = call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", None)
    return name in names or name in ERROR_ATTRIBUTES


def refusals_without_zh(source: str, module: ModuleType) -> list[int]:
    """The lines of ``source`` that build a domain error (raised there or kept to raise) without ``zh=``."""
    names = {cls.__name__ for cls in _subclasses(DomainError)} | {"DomainError"}
    return sorted(
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and _builds_a_domain_error(module, node, names)
        and not any(k.arg == "zh" for k in node.keywords)
    )


def test_the_checker_finds_a_refusal_without_its_chinese() -> None:
    module = ModuleType("sample")
    setattr(module, "errors", errors)  # noqa: B010
    setattr(module, "Conflict", Conflict)  # noqa: B010
    source = (
        "def f(x):\n"
        "    if x:\n"
        "        raise Conflict('taken')\n"
        "    if not x:\n"
        "        raise errors.InvalidInput('plate', 'bad', zh='号牌格式不对')\n"
        "    error = errors.NotFound('gone')\n"
        "    raise ValueError('not a domain error')\n"
    )
    assert refusals_without_zh(source, module) == [3, 6]


def test_every_refusal_of_the_swept_packages_is_worded_in_chinese() -> None:
    missing = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in _sources()
        for line in refusals_without_zh(path.read_text(encoding="utf-8"), _module_of(path))
    ]
    assert missing == [], "a domain error without zh= (its refusal in Chinese):\n" + "\n".join(missing)


# --- the status machines ---------------------------------------------------------------------------------

NAMED_MACHINES: dict[str, StatusMachine[Any]] = {
    "watch": watches.MACHINE,
    "alert": alerts.MACHINE,
    "notification": notifications.MACHINE,
    "reference price": reference_price.MACHINE,
}


@pytest.mark.parametrize("machine", NAMED_MACHINES.values(), ids=NAMED_MACHINES.keys())
def test_a_swept_machine_names_every_status_in_chinese(machine: StatusMachine[Any]) -> None:
    assert machine.noun_zh
    assert set(machine.status) <= machine.status_names_zh.keys()


def test_a_machine_refuses_in_chinese_with_its_noun_and_status_names() -> None:
    record = SimpleNamespace(id=7, status="lifted")
    with pytest.raises(watches.WatchStateConflict) as raised:
        watches.MACHINE.move(record, "fulfil")
    assert raised.value.detail == "watch 7 is lifted; only a watch that is active or queued can fulfil"
    assert raised.value.zh == "此布控当前为“已解除”状态，不能办理此项；只有“布控中”或“轮候”状态的布控才能办理"
    assert record.status == "lifted"


def test_a_machine_without_chinese_names_says_the_generic_refusal() -> None:
    order = SimpleNamespace(id=3, status="executed")
    with pytest.raises(custody.ReleaseOrderStateConflict) as raised:
        custody.ORDER.move(order, "revoke", refusal="release order 3 is executed; only an issued order …")
    assert raised.value.detail.startswith("release order 3 is executed")  # its own words, unchanged
    assert raised.value.zh == GENERIC_ZH == "当前状态不允许此操作"


def test_a_verbs_own_chinese_refusal_wins_over_the_generic_one() -> None:
    machine = StatusMachine("watch", watches.TRANSITIONS, watches.WatchStatus, watches.WatchStateConflict)
    with pytest.raises(watches.WatchStateConflict) as raised:
        machine.move(SimpleNamespace(id=1, status="lapsed"), "renew", refusal="no", refusal_zh="已失效")
    assert (raised.value.detail, raised.value.zh) == ("no", "已失效")


# --- end to end: the page and the API ----------------------------------------------------------------------

RULE_RENEW = "民诉法解释 Art. 485 / 查封规定 Art. 27"


def _lifted(client: TestClient, watch: dict[str, Any]) -> dict[str, str]:
    officer = login(client, "py.officer")
    r = client.post(f"/api/watches/{watch['id']}/lift", json={"reason": "debtor_paid"}, headers=officer)
    assert r.status_code == 200, r.text
    return officer


def test_renewing_a_lifted_watch_on_the_case_page_says_why_in_chinese_with_its_article(
    client: TestClient, watched: dict[str, Any]
) -> None:
    _lifted(client, watched)
    case_page = f"/cases/{watched['case_id']}"
    csrf = log_in(client, "py.officer", case_page)
    r = client.post(
        f"{case_page}/watches/{watched['id']}/renew",
        data={"csrf": csrf, "ruling_number": "(2026)浙0326执1234号之二"},
        follow_redirects=False,
    )
    assert r.status_code == 409, r.text
    error = re.search(r'<span class="error" role="alert">([^<]*)</span>', r.text)
    assert error is not None, r.text
    assert error.group(1).startswith("此布控已解除，只有布控中的布控才能续行查封（依据：")
    assert RULE_RENEW in error.group(1)
    assert "only an active watch" not in r.text  # the English stays in the API's detail


def test_the_api_answers_a_refusal_in_english_and_in_chinese(
    client: TestClient, watched: dict[str, Any]
) -> None:
    officer = _lifted(client, watched)
    r = client.post(
        f"/api/watches/{watched['id']}/renew",
        json={"ruling_number": "(2026)浙0326执1234号之二"},
        headers=officer,
    )
    assert r.status_code == 409
    body = r.json()
    assert body["error"] == "WatchStateConflict"
    assert body["detail"] == f"watch {watched['id']} is lifted; only an active watch can be renewed"
    assert body["detail_zh"] == "此布控已解除，只有布控中的布控才能续行查封"
    assert body["rule"].startswith(RULE_RENEW)


def test_a_police_batch_whose_only_plate_is_bad_is_refused_in_chinese(
    client: TestClient, world: World
) -> None:
    r = client.post(
        "/api/police/reads", json={"reads": [read("浙C" + "1" * 40)]}, headers=key(world.pingyang_key)
    )
    assert r.status_code == 422, r.text
    body = r.json()
    assert (body["fields"], body["detail"]) == (
        ["reads[0].plate"],
        "reads[0].plate: Expected `str` of length <= 32",
    )
    assert body["detail_zh"] == "不能超过 32 个字符"


def test_a_bad_plate_among_good_reads_is_listed_in_chinese_and_the_others_are_taken(
    client: TestClient, world: World
) -> None:
    bad = read("浙C12345") | {"plate": 12345}  # a number has lost its leading zeros: not a plate
    r = client.post(
        "/api/police/reads", json={"reads": [read("浙C54321"), bad, bad]}, headers=key(world.pingyang_key)
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["reads"] == 1
    assert [(x["index"], x["field"], x["detail_zh"]) for x in body["rejected"]] == [
        (1, "reads[1].plate", "应为文本"),
        (2, "reads[2].plate", "应为文本"),
    ]
    assert body["rejected"][0]["detail"] == "Expected `str`, got `int`"
    only_bad = client.post("/api/police/reads", json={"reads": [bad, bad]}, headers=key(world.pingyang_key))
    assert only_bad.status_code == 422
    assert only_bad.json()["detail_zh"] == "应为文本（另有 1 条记录被拒收）"
