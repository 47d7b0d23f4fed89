"""Every refusal of the auction rules names its article in both languages, and every article quotes the law's
own words: the quoted Chinese is found, piece by piece, in the law's text in the shared directory."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import auction.rules as rules
from auction.rules import articles
from car_enforce.core.errors import DomainError, Rule
from tests.factories import REQUIRE_SHARED, SHARED

PACKAGE = Path(rules.__file__).parent

LAW_FILES = {
    articles.WP: "最高人民法院关于人民法院网络司法拍卖若干问题的规定(2016-08-02).md",
    articles.PB: "最高人民法院关于人民法院民事执行中拍卖、变卖财产的规定(2020-12-29).md",
    articles.CKJ: "最高人民法院关于人民法院确定财产处置参考价若干问题的规定(2018-08-28).md",
    articles.MSJ: "最高人民法院关于适用《民事诉讼法》的解释(2022-04-01).md",
}


def _law_rules() -> list[Rule]:
    return [r for r in articles.ALL_RULES if not r.zh.startswith(articles.PLATFORM)]


def test_every_rule_is_cited_in_english_and_in_chinese() -> None:
    assert len(articles.ALL_RULES) > 30
    for rule in articles.ALL_RULES:
        assert isinstance(rule, Rule)
        if rule.zh.startswith(articles.PLATFORM):
            assert rule.en.startswith("platform rule") or "UNCONFIRMED" in rule.en, rule
            continue
        cite = r"《[^》]+》第[一二三四五六七八九十百零]+条"
        assert re.fullmatch(rf"{cite}(、{cite})*：.+", rule.zh), rule.zh
        assert re.match(r"(网拍规定|拍卖变卖规定|参考价规定|民诉法解释) Art\. \d+", rule.en), rule.en


def _article_text(law: str, article: str) -> str:
    path = SHARED / "laws" / LAW_FILES[law]
    if not path.is_file():
        reason = f"the law's text {path} is missing (set CARENFORCE_SHARED_DIR)"
        if REQUIRE_SHARED:
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    text = path.read_text(encoding="utf-8")
    start = text.index(f"\n{article} ")
    following = re.search(r"\n第[一二三四五六七八九十百零]+条 ", text[start + 1 :])
    return text[start : start + 1 + following.start()] if following else text[start:]


@pytest.mark.parametrize("rule", _law_rules(), ids=lambda r: r.en.split(":")[0])
def test_the_chinese_quotes_the_articles_own_words(rule: Rule) -> None:
    # The words quoted are the first article's own (a second article cited beside it says the same).
    found = re.fullmatch(r"(《[^》]+》)(第[一二三四五六七八九十百零]+条)(?:、[^：]+)?：(.+)", rule.zh)
    assert found is not None, rule.zh
    law, article, words = found.groups()
    text = re.sub(r"\s+", "", _article_text(law, article))
    for piece in words.split("……"):
        assert piece.rstrip("。") in text, f"{article}: {piece!r} is not the law's wording"


# --- every refusal carries its Chinese and a Rule --------------------------------------------------------

ERRORS = {cls.__name__ for cls in (DomainError, *DomainError.__subclasses__())} | {"BidRefused", "RoomClosed"}


def _refusals(source: str) -> list[ast.Call]:
    def is_error(call: ast.Call) -> bool:
        name = call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", None)
        return name in ERRORS

    return [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call) and is_error(n)]


def test_the_sweep_finds_the_refusals() -> None:
    found = _refusals((PACKAGE / "room.py").read_text(encoding="utf-8"))
    assert len(found) >= 15


def _cited(node: ast.AST) -> list[str]:
    return [n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute) and n.attr.startswith("RULE_")]


def _bound(tree: ast.AST, name: str) -> list[str]:
    """The articles a local name is bound to: by an assignment, or as a loop target over pairs of them."""
    cited: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            name in {n.id for n in ast.walk(t) if isinstance(n, ast.Name)} for t in node.targets
        ):
            cited += _cited(node.value)
        if isinstance(node, ast.For) and name in {
            n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)
        }:
            cited += _cited(node.iter)
    return cited


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_every_refusal_has_its_chinese_and_cites_an_article_as_a_rule(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for call in _refusals(path.read_text(encoding="utf-8")):
        keywords = {k.arg: k.value for k in call.keywords}
        assert "zh" in keywords, f"{path.name}:{call.lineno} has no zh="
        rule = keywords.get("rule")
        assert rule is not None, f"{path.name}:{call.lineno} has no rule="
        # One of the articles' named Rules, directly, by a conditional, or through a local name bound to them.
        cited = _bound(tree, rule.id) if isinstance(rule, ast.Name) else _cited(rule)
        assert cited, f"{path.name}:{call.lineno} cites no article"
        assert all(isinstance(getattr(articles, n), Rule) for n in cited), f"{path.name}:{call.lineno}"
