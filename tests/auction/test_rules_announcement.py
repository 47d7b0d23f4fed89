"""Before and with the announcement: notices 3 days before it (网拍规定 Art. 16), what it shows (Art. 13) and
warns of (Art. 14). Pure: no database."""

from __future__ import annotations

from datetime import date

import pytest

from auction.rules import (
    Disclosure,
    Notice,
    NoticeWay,
    articles,
    check_disclosures,
    check_notices,
    earliest_announcement,
)
from car_enforce.core.errors import RuleViolation
from tests.auction_rules_helpers import CALENDAR

PARTIES = ("applicant", "debtor", "tenant")


def served(to: str, on: date) -> Notice:
    return Notice(to, NoticeWay.SERVED, on)


def test_the_announcement_may_go_out_three_days_after_the_last_notice() -> None:
    notices = [
        served("applicant", date(2026, 6, 1)),
        served("debtor", date(2026, 6, 2)),
        served("tenant", date(2026, 6, 1)),
    ]
    earliest = earliest_announcement(PARTIES, notices, CALENDAR)
    assert earliest is not None and earliest.on == date(2026, 6, 5)
    check_notices(PARTIES, notices, date(2026, 6, 5), CALENDAR)


def test_an_announcement_two_days_after_a_notice_is_refused() -> None:
    notices = [served(p, date(2026, 6, 1)) for p in PARTIES]
    with pytest.raises(RuleViolation) as refused:
        check_notices(PARTIES, notices, date(2026, 6, 3), CALENDAR)
    assert (refused.value.field, refused.value.rule) == ("announced_at", articles.RULE_NOTICE)
    assert refused.value.zh == (
        "应在拍卖公告发布三日前通知当事人和已知优先购买权人，公告最早可于2026年6月4日发布"
    )


def test_a_party_not_told_at_all_is_named() -> None:
    with pytest.raises(RuleViolation) as refused:
        check_notices(PARTIES, [served("applicant", date(2026, 6, 1))], date(2026, 6, 10), CALENDAR)
    assert refused.value.zh == "尚未通知：debtor、tenant"


def test_an_unreachable_party_is_told_five_days_after_publication_and_then_three_more() -> None:
    notices = [
        served("applicant", date(2026, 6, 1)),
        served("debtor", date(2026, 6, 1)),
        Notice("tenant", NoticeWay.PUBLISHED, date(2026, 6, 1)),
    ]
    earliest = earliest_announcement(PARTIES, notices, CALENDAR)
    # Deemed told on 8 June (6 June is a Saturday: the 5 days end on Monday), then 3 days: 11 June.
    assert earliest is not None and earliest.on == date(2026, 6, 11)


def test_a_holder_who_waived_in_writing_needs_no_notice() -> None:
    notices = [
        served("applicant", date(2026, 6, 1)),
        served("debtor", date(2026, 6, 1)),
        Notice("tenant", NoticeWay.WAIVED, date(2026, 6, 2)),
    ]
    earliest = earliest_announcement(PARTIES, notices, CALENDAR)
    assert earliest is not None and earliest.on == date(2026, 6, 4)
    assert earliest_announcement(["tenant"], notices, CALENDAR) is None


def test_an_announcement_showing_everything_passes() -> None:
    check_disclosures([d.value for d in Disclosure])


def test_an_announcement_without_the_tax_burden_is_refused_under_article_13() -> None:
    with pytest.raises(RuleViolation) as refused:
        check_disclosures([d for d in Disclosure if d is not Disclosure.TAXES])
    assert (refused.value.field, refused.value.rule) == ("taxes", articles.RULE_DISCLOSURE)
    assert refused.value.zh == "拍卖公告缺少：产权转移可能产生的税费及承担方式"


def test_an_announcement_without_the_as_is_warning_is_refused_under_article_14() -> None:
    with pytest.raises(RuleViolation) as refused:
        check_disclosures([d for d in Disclosure if d is not Disclosure.AS_IS])
    assert refused.value.rule == articles.RULE_WARNINGS
