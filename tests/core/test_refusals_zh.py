"""Refusals in Chinese: every domain error raised in the swept packages carries its ``zh`` wording, which a
page shows (with the rule's article) and the JSON API returns as ``detail_zh`` beside the English."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.web.pages import explained
from car_enforce.captures import transitions as captures
from car_enforce.case_money import transitions as case_money
from car_enforce.core import errors, zh
from car_enforce.core.errors import Conflict, DomainError, Rule
from car_enforce.core.notify import transitions as notifications
from car_enforce.core.status_machine import GENERIC_ZH, StatusMachine
from car_enforce.core.work import transitions as work
from car_enforce.custody import transitions as custody
from car_enforce.custody.models import ReleaseOrderStatus
from car_enforce.registry import transitions as registry
from car_enforce.sightings import transitions as alerts
from car_enforce.watches import service as watch_service
from car_enforce.watches import transitions as watches
from tests.api_helpers import login
from tests.factories import World
from tests.read_helpers import key, read
from tests.web.console_helpers import log_in
from valuation.reference_price import rules as reference_rules
from valuation.reference_price import transitions as reference_price

ROOT = Path(__file__).resolve().parents[2]

# The packages whose refusals are worded in Chinese: all of them, so that no new refusal slips in without.
SWEPT = ("car_enforce", "valuation", "auction", "api")

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
    if path.name == "__main__.py":
        # Importing it would run the command line; its refusals are judged by their classes' names.
        return ModuleType(name)
    return importlib.import_module(name)


def _resolved(module: ModuleType, node: ast.expr) -> object:
    if isinstance(node, ast.Name):
        return getattr(module, node.id, None)
    if isinstance(node, ast.Attribute):
        owner = _resolved(module, node.value)
        return None if owner is None else getattr(owner, node.attr, None)
    return None


def _asks_for_zh(module: ModuleType, call: ast.Call, classes: dict[str, type]) -> bool:
    """Whether ``call`` builds a domain error that takes its Chinese from the caller: an error whose own
    ``__init__`` words the refusal (``ConfirmKnownVehicle(known)``) takes no ``zh`` and is not asked."""
    target = _resolved(module, call.func)
    # Not a module-level name (a local import, an attribute of ``self``): judged by its name.
    name = call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", None)
    if not isinstance(target, type):
        if name in ERROR_ATTRIBUTES:
            return True
        target = classes.get(name or "")
    if not (isinstance(target, type) and issubclass(target, DomainError)):
        return False
    return "zh" in inspect.signature(target).parameters


def refusals_without_zh(source: str, module: ModuleType) -> list[int]:
    """The lines of ``source`` that build a domain error (raised there or kept to raise) without ``zh=``."""
    classes = {cls.__name__: cls for cls in _subclasses(DomainError)} | {"DomainError": DomainError}
    return sorted(
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and _asks_for_zh(module, node, classes)
        and not any(k.arg == "zh" for k in node.keywords)
    )


class _Worded(Conflict):
    """An error that words its refusal itself, from what it is given."""

    def __init__(self, plate: str) -> None:
        super().__init__(f"{plate} is known", zh=f"{plate}已登记")


def test_the_checker_finds_a_refusal_without_its_chinese() -> None:
    module = ModuleType("sample")
    setattr(module, "errors", errors)  # noqa: B010
    setattr(module, "Conflict", Conflict)  # noqa: B010
    setattr(module, "Worded", _Worded)  # noqa: B010
    source = (
        "def f(x):\n"
        "    if x:\n"
        "        raise Conflict('taken')\n"
        "    if not x:\n"
        "        raise errors.InvalidInput('plate', 'bad', zh='号牌格式不对')\n"
        "    error = errors.NotFound('gone')\n"
        "    raise Worded('浙C12345')\n"
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


# --- the rules, cited in Chinese ---------------------------------------------------------------------------


def test_a_rule_is_its_english_citation_and_carries_its_chinese() -> None:
    rule = Rule("查封规定 Art. 27: renew in time", "《查封规定》第二十七条：按期续行")
    assert (str(rule), rule.en, rule.zh) == (
        "查封规定 Art. 27: renew in time",
        rule,
        "《查封规定》第二十七条：按期续行",
    )
    assert rule == "查封规定 Art. 27: renew in time" and "Art. 27" in rule  # as the English string was
    with pytest.raises(AttributeError):
        rule.zh = "另一种说法"
    refused = Conflict("lapsed", rule=rule, zh="已失效")
    assert (refused.rule, refused.rule_zh) == (
        "查封规定 Art. 27: renew in time",
        "《查封规定》第二十七条：按期续行",
    )
    assert type(refused.rule) is str  # the API's rule, and an event's reason, stay plain text
    assert Conflict("lapsed", rule="a bare citation").rule_zh is None


def _rule_value_is_a_rule(module: ModuleType, node: ast.expr, strings: set[str]) -> bool:
    if isinstance(node, ast.IfExp):
        return _rule_value_is_a_rule(module, node.body, strings) and _rule_value_is_a_rule(
            module, node.orelse, strings
        )
    if isinstance(node, ast.Constant) and node.value is None:
        return True
    if isinstance(node, ast.Call):
        return _resolved(module, node.func) is Rule
    if isinstance(node, ast.Name | ast.Attribute):
        value = _resolved(module, node)
        if value is None:
            # Not a module-level name: a parameter handing a rule on, unless the source binds it to text.
            return not (isinstance(node, ast.Name) and node.id in strings)
        return isinstance(value, Rule)
    return False  # a literal, an f-string, a concatenation: English alone


def rules_without_zh(source: str, module: ModuleType) -> list[int]:
    """The lines of ``source`` whose ``rule=`` is not a Rule (a name bound to one, or a ``Rule(...)``)."""
    tree = ast.parse(source)
    strings = {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant | ast.JoinedStr)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    return sorted(
        keyword.value.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        for keyword in node.keywords
        if keyword.arg == "rule" and not _rule_value_is_a_rule(module, keyword.value, strings)
    )


def test_the_checker_finds_a_rule_cited_in_english_alone() -> None:
    module = ModuleType("sample")
    for name, value in {
        "Conflict": Conflict,
        "Rule": Rule,
        "RULE_SALE": Rule("查封规定 Art. 27", "《查封规定》第二十七条"),
        "RULE_OLD": "查封规定 Art. 26",
    }.items():
        setattr(module, name, value)
    source = (
        "def f(x, rule):\n"
        "    raise Conflict('a', rule=RULE_SALE, zh='甲')\n"
        "    raise Conflict('b', rule=Rule('GA 36', 'GA 36《中华人民共和国机动车号牌》'), zh='乙')\n"
        "    raise Conflict('c', rule=RULE_OLD, zh='丙')\n"
        "    raise Conflict('d', rule='参考价规定 Art. 11', zh='丁')\n"
        "    raise Conflict('e', rule=RULE_SALE if x else f'Art. {x}', zh='戊')\n"
        "    raise Conflict('f', rule=rule, zh='己')\n"
        "    inline = 'GB 16735'\n"
        "    raise Conflict('g', rule=inline, zh='庚')\n"
    )
    assert rules_without_zh(source, module) == [4, 5, 6, 9]


def test_every_rule_of_the_swept_packages_is_cited_in_chinese() -> None:
    bare = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in _sources()
        for line in rules_without_zh(path.read_text(encoding="utf-8"), _module_of(path))
    ]
    assert bare == [], "a rule= that is not a Rule (its article cited in Chinese):\n" + "\n".join(bare)


def _named_rules() -> dict[str, object]:
    """Every ``RULE_*`` constant of the swept modules, by where it is defined."""
    found: dict[str, object] = {}
    for path in _sources():
        if path.name == "__main__.py":
            continue
        module = _module_of(path)
        for name, value in vars(module).items():
            if name.startswith("RULE_"):
                found[f"{module.__name__}.{name}"] = value
    return found


def test_every_rule_constant_is_a_rule() -> None:
    rules = _named_rules()
    assert len({id(rule) for rule in rules.values()}) >= 30  # found where they are (32 when this was written)
    assert [name for name, value in rules.items() if not isinstance(value, Rule)] == []


# The laws the English cites by short name, and the titles (short or full) the Chinese may cite them by.
LAW_TITLES: dict[str, tuple[str, ...]] = {
    "民诉法解释": ("最高人民法院关于适用〈中华人民共和国民事诉讼法〉的解释",),
    "查封规定": ("查封规定", "最高人民法院关于人民法院民事执行中查封、扣押、冻结财产的规定"),
    "参考价规定": ("参考价规定", "最高人民法院关于人民法院确定财产处置参考价若干问题的规定"),
    "网拍规定": ("网拍规定", "最高人民法院关于人民法院网络司法拍卖若干问题的规定"),
    "拍卖变卖规定": ("拍卖变卖规定", "最高人民法院关于人民法院民事执行中拍卖、变卖财产的规定"),
    "车辆购置税法": ("中华人民共和国车辆购置税法",),
    "登记规定": ("登记规定", "机动车登记规定"),
}
LAW_OF_TITLE = {title: law for law, titles in LAW_TITLES.items() for title in titles}
_DIGITS = dict(zip("零一二三四五六七八九", range(10), strict=True))


def chinese_number(text: str) -> int:
    """四百八十五 → 485: an article's number as a Chinese citation writes it."""
    total, digit = 0, 0
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        else:
            total += (digit or 1) * {"十": 10, "百": 100}[ch]
            digit = 0
    return total + digit


def cited_articles(rule: Rule) -> tuple[dict[str, set[int]], dict[str, set[int]]]:
    """The articles the English and the Chinese cite, by law: the two must be the same."""
    english = {
        law: {int(n) for n in re.findall(r"\d+", numbers)}
        for law, numbers in re.findall(r"(\S+) Art\. ([\d, –-]*\d)", rule.en)
    }
    chinese = {
        LAW_OF_TITLE.get(title, title): {
            chinese_number(n) for n in re.findall(r"第([零一二三四五六七八九十百]+)条", articles)
        }
        for title, articles in re.findall(
            r"《([^》]+)》((?:[、至]?第[零一二三四五六七八九十百]+条)+)", rule.zh
        )
    }
    return english, chinese


def test_the_checker_reads_the_articles_of_both_citations() -> None:
    english, chinese = cited_articles(watch_service.RULE_RENEW)
    assert english == chinese == {"民诉法解释": {485}, "查封规定": {27}}
    assert cited_articles(reference_rules.RULE_APPRAISED)[1] == {"参考价规定": {14, 20}}
    assert chinese_number("三十一") == 31 and chinese_number("十") == 10


@pytest.mark.parametrize("name", sorted(_named_rules()))
def test_a_rule_cites_in_chinese_the_articles_the_english_cites(name: str) -> None:
    rule = _named_rules()[name]
    assert isinstance(rule, Rule)
    english, chinese = cited_articles(rule)
    if rule.zh.startswith("本平台规则（非法律规定）"):
        # What the law leaves to the platform says so, and cites no article it does not rest on.
        assert not english and not chinese, rule
    elif english:
        assert chinese == english, rule.zh
        assert "：" in rule.zh and not re.search(r"[A-Za-z]{4,}", rule.zh)  # the rule itself, in Chinese
    else:
        # A standard (GA 36) or a numbered document (法〔2015〕137号): its number, then its Chinese title.
        for number in re.findall(r"(?:GB/T|GB|GA) [\d.]+|法〔\d+〕\d+号", rule.en):
            assert number in rule.zh
        assert re.search(r"《[^》]+》", rule.zh), rule.zh


# --- the status machines ---------------------------------------------------------------------------------

NAMED_MACHINES: dict[str, StatusMachine[Any]] = {
    "watch": watches.MACHINE,
    "alert": alerts.MACHINE,
    "notification": notifications.MACHINE,
    "reference price": reference_price.MACHINE,
    "capture": captures.MACHINE,
    "custody": custody.CUSTODY,
    "release order": custody.ORDER,
    "work item": work.MACHINE,
    "registry request": registry.MACHINE,
    "payout": case_money.PAYOUT,
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
    unnamed = StatusMachine(
        "release order", custody.ORDER_TRANSITIONS, ReleaseOrderStatus, custody.ReleaseOrderStateConflict
    )
    order = SimpleNamespace(id=3, status="executed")
    with pytest.raises(custody.ReleaseOrderStateConflict) as raised:
        unnamed.move(order, "revoke", refusal="release order 3 is executed; only an issued order …")
    assert raised.value.detail.startswith("release order 3 is executed")  # its own words, unchanged
    assert raised.value.zh == GENERIC_ZH == "当前状态不允许此操作"


def test_a_verbs_own_chinese_refusal_wins_over_the_generic_one() -> None:
    machine = StatusMachine("watch", watches.TRANSITIONS, watches.WatchStatus, watches.WatchStateConflict)
    with pytest.raises(watches.WatchStateConflict) as raised:
        machine.move(SimpleNamespace(id=1, status="lapsed"), "renew", refusal="no", refusal_zh="已失效")
    assert (raised.value.detail, raised.value.zh) == ("no", "已失效")


# --- end to end: the page and the API ----------------------------------------------------------------------

RULE_RENEW = "民诉法解释 Art. 485 / 查封规定 Art. 27"
RULE_RENEW_ZH = (
    "《最高人民法院关于适用〈中华人民共和国民事诉讼法〉的解释》第四百八十五条、《查封规定》第二十七条："
)


def _error_page(error: DomainError) -> str:
    page = zh.environment("api.web").get_template("error.html")
    return page.render(who=None, title="不符合规定", error=error)


def test_the_error_page_cites_the_rule_in_chinese_and_a_bare_citation_as_it_is() -> None:
    refused = Conflict("lapsed", rule=watch_service.RULE_RENEW, zh="查封已失效")
    assert f'<p class="rule">依据：{watch_service.RULE_RENEW.zh}</p>' in _error_page(refused)
    assert '<p class="rule">依据：GA 36</p>' in _error_page(Conflict("bad", rule="GA 36", zh="号牌有误"))
    assert 'class="rule"' not in _error_page(Conflict("bad", zh="号牌有误"))


def test_a_form_refusal_cites_the_rule_in_chinese() -> None:
    refused = Conflict("taken", rule=watch_service.RULE_QUEUE, zh="已有布控")
    assert explained(refused) == f"已有布控（依据：{watch_service.RULE_QUEUE.zh}）"
    assert explained(Conflict("taken", rule="GA 36", zh="已有布控")) == "已有布控（依据：GA 36）"


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
    assert error.group(1).startswith(f"此布控已解除，只有布控中的布控才能续行查封（依据：{RULE_RENEW_ZH}")
    assert error.group(1).endswith("期限届满未办理延期手续的，查封、扣押的效力消灭）")  # the rule itself
    assert "only an active watch" not in r.text  # the English stays in the API's detail
    assert "Art. 485" not in r.text  # and so does the English citation


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
    assert body["rule_zh"] == watch_service.RULE_RENEW.zh and body["rule_zh"].startswith(RULE_RENEW_ZH)


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
