"""One error hierarchy; each error carries its HTTP status and is rendered as ``{"error", "detail"}``."""

from __future__ import annotations

from typing import Any, NoReturn


class Rule(str):
    """A rule a refusal cites: its English citation, which the value is (so the API's ``rule``, an event's
    reason and a comparison with the English text stay as they were), and ``zh``, the article cited the
    Chinese way with the rule in Chinese, for the person at a page."""

    __slots__ = ("zh",)
    zh: str

    def __new__(cls, en: str, zh: str) -> Rule:
        rule = super().__new__(cls, en)
        object.__setattr__(rule, "zh", zh)
        return rule

    @property
    def en(self) -> str:
        return str(self)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"a Rule is frozen: cannot set {name}")

    def __reduce__(self) -> tuple[type[Rule], tuple[str, str]]:
        return Rule, (str(self), self.zh)

    def __repr__(self) -> str:
        return f"Rule(en={str(self)!r}, zh={self.zh!r})"


class DomainError(Exception):
    status_code = 400

    def __init__(
        self,
        detail: str,
        *,
        rule: str | Rule | None = None,
        zh: str | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.rule = None if rule is None else str(rule)  # the English citation, as the API answers it
        # The article and the rule in Chinese, when the rule was given as a Rule: what a page shows.
        self.rule_zh = rule.zh if isinstance(rule, Rule) else None
        # The same refusal in Chinese, for the person at a page (and the API's ``detail_zh``); without
        # the field's name for an InvalidInput, since a form shows it beside the field.
        self.zh = zh
        # The input the refusal concerns, when there is one (a name already taken), so an answer or a
        # form can point at it.
        self.field = field

    @property
    def name(self) -> str:
        return type(self).__name__

    def facts(self) -> dict[str, Any]:
        """What the client needs beyond the text to act on the refusal (a record to confirm), as JSON
        values; rendered beside ``error`` and ``detail``."""
        return {}


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    """The request is well formed but the current state forbids it."""

    status_code = 409


class RuleViolation(DomainError):
    """The request is well formed but breaks a legal or business rule; ``rule`` cites it."""

    status_code = 400


class InvalidInput(DomainError):
    """A value is malformed (a plate, a VIN, a case number): the payload cannot be processed."""

    status_code = 422
    field: str

    def __init__(
        self, field: str, detail: str, *, rule: str | Rule | None = None, zh: str | None = None
    ) -> None:
        super().__init__(f"{field}: {detail}", rule=rule, zh=zh, field=field)
        self.reason = detail  # without the field, for answers that list it beside the field


class Unauthenticated(DomainError):
    status_code = 401


class Forbidden(DomainError):
    status_code = 403


class Unavailable(DomainError):
    """A part the platform needs is missing on this machine (a font, a service): say what to install."""

    status_code = 503


class IdempotencyKeyReused(Conflict):
    pass


class PayloadTooLarge(DomainError):
    """The request body is larger than the platform accepts at this address; it was not parsed."""

    status_code = 413


class CursorBeyondEnd(Conflict):
    """A feed cursor past the newest entry: it was never handed out by this feed (a restored database,
    another platform), so the client's state cannot be continued and must be resynchronised."""
