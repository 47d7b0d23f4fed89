"""Fuzz the running API from its own OpenAPI document: no 5xx anywhere, and every answer as documented.

A real uvicorn on loopback serves the app on the seeded demo region. Schemathesis reads the document the
server publishes, generates requests for every operation (valid ones, and ones that break the schema) and
sends them over HTTP as each kind of caller: a police unit's API key, a court officer, the administrator, and
for the simulators under /sim/ the SMS gateway's key, so the guarded routes are exercised beyond 401.

The operations are fuzzed in groups (by path), each a test of its own on a fresh demo region and server,
so that a parallel run spreads them over its workers. Within a group the callers take turns as in one run
over the whole document: police first, then the officer, the administrator, the SMS gateway.

Every finding of a group is collected and reported in one failure: the caller, the operation, what broke, the
status, the start of the answer and a curl line. Generation is derandomized, so a run is reproducible.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import requests
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import PUBLIC_ROUTES, SIMULATOR_PREFIX
from api.demo import seed as demo
from car_enforce.core.clock import MovableClock
from car_enforce.core.db import Database
from car_enforce.core.settings import get_settings
from tests import live

# Examples per operation, caller and mode: about 170 operations x 3 callers (the public ones x 1), plus the
# simulators' x 1. The auction's routes, then the settlement's, the registry's and the case money's, more
# than tripled the operations since the fuzz was sized at 20 and 10; 10 and 5 keep every operation and
# caller fuzzed while the fuzz stays the suite's longest test rather than most of it.
EXAMPLES = {GenerationMode.POSITIVE: 10, GenerationMode.NEGATIVE: 5}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# We send real credentials; generated ones (a random X-Api-Key beside the officer's token) would shadow them.
CONFIG = schemathesis.Config.from_dict({"generation": {"with-security-parameters": False}})
REQUEST_TIMEOUT_S = 30.0
LOGOUT = "POST /api/auth/logout"
FAILURE_MODE = "POST /sim/sms/failure-mode"
# A stream that never ends by design (server-sent events) would hold the fuzz forever; its own tests open it
# over real HTTP and read what they need (tests/auction/test_live_room.py).
STREAMS = frozenset({"GET /api/auction/rounds/{round_id}/live"})


# The groups of operations, each fuzzed as a test of its own: the paths under any of a group's prefixes (a
# prefix is a whole path or its first segments). Every operation in none of them is in OTHER, so an operation
# added to the API is fuzzed without a change here. Sized at a few seconds each.
GROUPS: dict[str, tuple[str, ...]] = {
    "auction-lots": (
        "/api/auction/lots",
        "/api/auction/bidders",
        "/api/auction/priority-buyers",
        "/api/auction/platforms",
        "/api/auction/me",
    ),
    "auction-rounds": ("/api/auction/rounds", "/api/auction/settlements"),
    "cases": ("/api/cases",),
    "custody": ("/api/custody", "/api/release-orders"),
    "pricing": ("/api/reference-prices", "/api/reference-price-objections", "/api/inquiry-platforms"),
    "inspections-captures": ("/api/inspections", "/api/inspection-checklist", "/api/captures"),
    "police": ("/api/police", "/api/alerts"),
}
OTHER = "other"


def group_of(operation: schemathesis.APIOperation) -> str:
    path = operation.path
    for name, prefixes in GROUPS.items():
        if any(path == prefix or path.startswith(f"{prefix}/") for prefix in prefixes):
            return name
    return OTHER


@dataclass(frozen=True)
class Caller:
    name: str
    headers: dict[str, str]
    # A GET of this caller's own kind: it answers 2xx while the credentials hold and are of the right role.
    probe: str
    username: str | None = None  # logged in afresh for each logout, which ends the token it is sent with
    only_under: str | None = None  # the SMS gateway's key opens the simulators and nothing else

    def may_call(self, operation: schemathesis.APIOperation) -> bool:
        if self.only_under is not None:
            return operation.path.startswith(self.only_under)
        # A public route answers everyone alike: the first caller fuzzes it (the police, below).
        return operation.path not in PUBLIC_ROUTES or self.name == "police"

    def authenticates(self, operation: schemathesis.APIOperation) -> bool:
        """Whether the operation checks credentials, and of this caller's kind."""
        if operation.path in PUBLIC_ROUTES:
            return False
        return (self.only_under is not None) == operation.path.startswith(SIMULATOR_PREFIX)


@dataclass
class Finding:
    example: str  # the first answer and how to reproduce it
    count: int = 1


@dataclass
class Document:
    """The API document a server published, read once per test process, and the requests drawn from it.

    Generation is derandomized and never sees an answer, so the requests drawn for an operation are the same
    for every caller and on every database: they are drawn once per process (drawing from the schema, not
    the server, is most of the fuzz's time) and sent in the same order each time.
    """

    operations: list[schemathesis.APIOperation]
    drawn: dict[tuple[str, GenerationMode], list[schemathesis.Case]] = field(default_factory=dict)

    def examples(self, operation: schemathesis.APIOperation, mode: GenerationMode) -> list[schemathesis.Case]:
        key = (operation.label, mode)
        if key not in self.drawn:
            drawn: list[schemathesis.Case] = []

            @settings(
                max_examples=EXAMPLES[mode],
                deadline=None,
                derandomize=True,
                database=None,
                phases=[Phase.explicit, Phase.generate],  # no shrinking: every finding is kept, not raised
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def draw(case: schemathesis.Case) -> None:
                drawn.append(case)

            draw()
            self.drawn[key] = drawn
        return self.drawn[key]


# The documents this process has read, by their text: servers of the same app publish the same one.
_documents: dict[str, Document] = {}


def published(base_url: str) -> Document:
    r = requests.get(f"{base_url}/openapi.json", timeout=REQUEST_TIMEOUT_S)
    assert r.status_code == 200, r.text
    if r.text not in _documents:
        schema = schemathesis.openapi.from_file(r.text, config=CONFIG)
        operations = [
            op
            for op in (result.ok() for result in schema.get_all_operations() if isinstance(result, Ok))
            if op.label not in STREAMS
        ]
        _documents[r.text] = Document(operations)
    return _documents[r.text]


@dataclass
class Fuzz:
    base_url: str
    http: requests.Session
    document: Document
    findings: dict[str, Finding] = field(default_factory=dict)
    statuses: dict[str, Counter[int]] = field(default_factory=dict)  # per caller, of authenticated routes

    def add(self, heading: str, example: str) -> None:
        if heading in self.findings:
            self.findings[heading].count += 1
        else:
            self.findings[heading] = Finding(example)

    def report(self) -> str:
        return "\n".join(f"{heading} ({f.count}x)\n{f.example}" for heading, f in self.findings.items())

    def credentials_hold(self, caller: Caller, when: str) -> None:
        r = self.http.get(f"{self.base_url}{caller.probe}", headers=caller.headers, timeout=REQUEST_TIMEOUT_S)
        if not 200 <= r.status_code < 300:
            answer = f"    GET {caller.probe}: {r.status_code}"
            self.add(f"[{caller.name}] credentials did not hold {when}", answer)

    def operation(self, operation: schemathesis.APIOperation, caller: Caller, mode: GenerationMode) -> None:
        label = f"{operation.label} [{mode.value}]"
        statuses = self.statuses.setdefault(caller.name, Counter())
        for case in self.document.examples(operation, mode):
            headers = caller.headers
            if operation.label == LOGOUT and caller.username is not None:
                headers = login(self.base_url, caller.username)
            try:
                response = case.call(
                    base_url=self.base_url, session=self.http, headers=headers, timeout=REQUEST_TIMEOUT_S
                )
            except requests.RequestException as exc:
                self.add(f"[{caller.name}] {label}: no answer: {type(exc).__name__}", f"    {exc}")
                continue
            finally:
                if operation.label == FAILURE_MODE:
                    # A staged failure or slow answer would show up as 5xx or timeouts of later sends.
                    reset_failure_mode(self.base_url)
            if caller.authenticates(operation):
                statuses[response.status_code] += 1
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except FailureGroup as group:
                body = response.content[:300].decode("utf-8", "replace")
                example = f"    body: {body}\n    reproduce: {case.as_curl_command(headers=headers)}"
                for failure in group.exceptions:
                    message = failure.message.strip().splitlines()
                    problem = f"{failure.title}: {message[0]}" if message else failure.title
                    self.add(f"[{caller.name}] {label} -> {response.status_code}: {problem}", example)


@pytest.fixture
def live_api(app: FastAPI, db: Database, clock: MovableClock) -> Iterator[str]:
    """The demo region served by this process's app (its routes built once, not in every group)."""
    with db.unit_of_work() as s:
        demo.seed(s)
    with live.serve(app) as base_url:
        yield base_url


def login(base_url: str, username: str) -> dict[str, str]:
    r = requests.post(
        f"{base_url}/api/auth/login",
        json={"username": username, "password": demo.DEMO_PASSWORD},
        timeout=REQUEST_TIMEOUT_S,
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def reset_failure_mode(base_url: str) -> None:
    r = requests.post(
        f"{base_url}/sim/sms/failure-mode",
        json={"mode": "ok"},
        headers={"X-Api-Key": get_settings().sms_gateway_key},
        timeout=REQUEST_TIMEOUT_S,
    )
    assert r.status_code == 200, r.text


def has_inputs(operation: schemathesis.APIOperation) -> bool:
    return bool(list(operation.iter_parameters())) or bool(list(operation.body))


@pytest.mark.slow
@pytest.mark.parametrize("group", [*GROUPS, OTHER])
def test_api_fuzz_no_server_errors_and_answers_as_documented(live_api: str, group: str) -> None:
    base_url = live_api
    document = published(base_url)
    assert len(document.operations) > 20, [op.label for op in document.operations]
    operations = [op for op in document.operations if group_of(op) == group]
    assert operations, f"no operation of the document is in the group {group}"
    # The sends go before the failure mode, which the fuzz stages and then clears again.
    operations.sort(key=lambda op: op.label == FAILURE_MODE)

    officer, admin = "pingyang.officer", "admin"
    # Police first: the administrator's fuzz may revoke the demo keys, the officer's may lift the watches.
    callers = [
        Caller("police", {"X-Api-Key": demo.KEYS[0].secret}, "/api/police/cameras"),
        Caller("officer", login(base_url, officer), "/api/cases", username=officer),
        Caller("admin", login(base_url, admin), "/api/admin/users", username=admin),
        Caller(
            "sms-gateway",
            {"X-Api-Key": get_settings().sms_gateway_key},
            "/sim/sms/messages",
            only_under=SIMULATOR_PREFIX,
        ),
    ]
    started = time.monotonic()
    with requests.Session() as http:
        # Loopback only: no proxy settings to look up in the environment for each of the thousands of sends.
        http.trust_env = False
        fuzz = Fuzz(base_url, http, document)
        for caller in callers:
            # Valid credentials must hold for the caller's whole turn, or the guarded routes were fuzzed only
            # up to 401: its own kind's read answers before and after, and no guarded route answers 401.
            fuzz.credentials_hold(caller, "before its turn")
            for operation in filter(caller.may_call, operations):
                for mode in EXAMPLES:
                    # Without any input there is nothing to break: Hypothesis would find no example.
                    if mode == GenerationMode.POSITIVE or has_inputs(operation):
                        fuzz.operation(operation, caller, mode)
            fuzz.credentials_hold(caller, "after its turn")
    elapsed = time.monotonic() - started

    for caller in callers:
        statuses = fuzz.statuses.get(caller.name, Counter())
        if statuses[401]:
            fuzz.add(
                f"[{caller.name}] credentials did not hold", f"    statuses: {dict(sorted(statuses.items()))}"
            )
    assert not fuzz.findings, f"{len(fuzz.findings)} distinct findings in {elapsed:.0f} s:\n{fuzz.report()}"
