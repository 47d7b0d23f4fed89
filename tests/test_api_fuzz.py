"""Fuzz the running API from its own OpenAPI document: no 5xx anywhere, and every answer as documented.

A real uvicorn on loopback serves the app on the seeded demo region. Schemathesis reads the document the
server publishes and generates requests for every operation, valid ones and ones that break the schema, and
sends them over HTTP as each kind of caller: a police unit's API key, a court officer, the administrator, and
(for the simulators under /sim/) the SMS gateway's key, so the guarded routes are exercised beyond 401.

Every finding is collected and reported in one failure: the caller, the operation, what broke, the status and
the start of the answer. Generation is derandomized, so a run is reproducible.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from api.app import SIMULATOR_PREFIX, create_app
from car_enforce import demo
from car_enforce.clock import MovableClock
from car_enforce.db import Database
from car_enforce.settings import get_settings
from tests import live

# Examples per operation, caller and generation mode: ~30 operations x 3 callers x (valid + invalid).
EXAMPLES = {GenerationMode.POSITIVE: 15, GenerationMode.NEGATIVE: 8}
REQUEST_TIMEOUT_S = 30.0
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
LOGOUT = "POST /api/auth/logout"
FAILURE_MODE = "POST /sim/sms/failure-mode"


@dataclass
class Finding:
    caller: str
    operation: str
    problem: str
    status: int
    body: str
    curl: str
    count: int = 1

    def render(self) -> str:
        return (
            f"[{self.caller}] {self.operation} -> {self.status} ({self.count}x): {self.problem}\n"
            f"    body: {self.body}\n    reproduce: {self.curl}"
        )


@dataclass
class Findings:
    items: dict[tuple[str, str, str, int], Finding] = field(default_factory=dict)

    def add(self, caller: str, operation: str, problem: str, status: int, body: str, curl: str) -> None:
        key = (caller, operation, problem, status)
        if key in self.items:
            self.items[key].count += 1
        else:
            self.items[key] = Finding(caller, operation, problem, status, body, curl)

    def report(self) -> str:
        return "\n".join(f.render() for f in self.items.values())


@dataclass(frozen=True)
class Caller:
    name: str
    headers: dict[str, str]
    username: str | None = None  # who to log in again for a logout, which ends the token it is sent with
    only_under: str | None = None  # the SMS gateway's key opens the simulators and nothing else

    def headers_for(self, base_url: str, operation: schemathesis.APIOperation) -> dict[str, str]:
        if operation.label == LOGOUT and self.username is not None:
            return _login(base_url, self.username)
        return self.headers


@pytest.fixture
def live_api(db: Database, clock: MovableClock) -> Iterator[str]:
    with db.unit_of_work() as s:
        demo.seed(s)
    with live.serve(create_app(db)) as base_url:
        yield base_url


def _login(base_url: str, username: str) -> dict[str, str]:
    r = requests.post(
        f"{base_url}/api/auth/login",
        json={"username": username, "password": demo.DEMO_PASSWORD},
        timeout=REQUEST_TIMEOUT_S,
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _failure_title(failure: Failure) -> str:
    first_line = failure.message.strip().splitlines()[0] if failure.message.strip() else ""
    return f"{failure.title}: {first_line}" if first_line else failure.title


def _reset_failure_mode(base_url: str) -> None:
    r = requests.post(
        f"{base_url}/sim/sms/failure-mode",
        json={"mode": "ok"},
        headers={"X-Api-Key": get_settings().sms_gateway_key},
        timeout=REQUEST_TIMEOUT_S,
    )
    assert r.status_code == 200, r.text


def _fuzz_operation(
    operation: schemathesis.APIOperation,
    caller: Caller,
    mode: GenerationMode,
    base_url: str,
    http: requests.Session,
    findings: Findings,
) -> None:
    label = operation.label

    @settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: schemathesis.Case) -> None:
        headers = caller.headers_for(base_url, operation)
        response = case.call(base_url=base_url, session=http, headers=headers, timeout=REQUEST_TIMEOUT_S)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            body = response.content[:300].decode("utf-8", "replace")
            curl = case.as_curl_command(headers=headers)
            for failure in group.exceptions:
                findings.add(
                    caller.name,
                    f"{label} [{mode.value}]",
                    _failure_title(failure),
                    response.status_code,
                    body,
                    curl,
                )
        finally:
            if label == FAILURE_MODE:
                # A staged failure or slow answer would show up as a 5xx or a timeout of the next sends.
                _reset_failure_mode(base_url)

    run()


def _has_inputs(operation: schemathesis.APIOperation) -> bool:
    return bool(list(operation.iter_parameters())) or bool(list(operation.body))


def test_api_fuzz_no_server_errors_and_answers_as_documented(live_api: str) -> None:
    base_url = live_api
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json", timeout=REQUEST_TIMEOUT_S)
    operations = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    assert len(operations) > 20, [op.label for op in operations]
    # The sends go before the failure mode, which the fuzz stages and then clears again.
    operations.sort(key=lambda op: op.label == FAILURE_MODE)

    officer, admin = "pingyang.officer", "admin"
    # Police first: the administrator's fuzz may revoke the demo keys, the officer's may lift the watches.
    callers = [
        Caller("police", {"X-Api-Key": demo.KEYS[0].secret}),
        Caller("officer", _login(base_url, officer), username=officer),
        Caller("admin", _login(base_url, admin), username=admin),
        Caller("sms-gateway", {"X-Api-Key": get_settings().sms_gateway_key}, only_under=SIMULATOR_PREFIX),
    ]
    findings = Findings()
    started = time.monotonic()
    with requests.Session() as http:
        for caller in callers:
            for operation in operations:
                if caller.only_under and not operation.path.startswith(caller.only_under):
                    continue
                for mode in EXAMPLES:
                    if mode == GenerationMode.NEGATIVE and not _has_inputs(operation):
                        continue  # nothing to break: Hypothesis would find the strategy unsatisfiable
                    _fuzz_operation(operation, caller, mode, base_url, http, findings)
    elapsed = time.monotonic() - started
    assert not findings.items, (
        f"{len(findings.items)} distinct findings in {elapsed:.0f} s:\n{findings.report()}"
    )
