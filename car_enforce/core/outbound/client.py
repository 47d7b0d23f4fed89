"""The one way a request leaves the platform: bounded timeouts, classified failures, retries, keys.

A call either returns what the service promised or raises ``OutboundError``. ``permanent`` on the error
says whether trying again can ever help: connect errors, timeouts, 5xx, 408 and 429 may pass later; any
other 4xx, a redirect (never followed: a service that moved is reconfigured, not chased) or a URL that
cannot be called will not. A 2xx is checked by the caller's ``check``: an answer that is not what the
service promises is an error, not a success.

Every POST carries an ``Idempotency-Key`` chosen by the caller for the logical call, so each try of it,
in this call or in a later one (the outbox's next run), carries the same key and the service acts once.
That is what makes it safe to retry a POST whose answer was lost to a timeout.
"""

from __future__ import annotations

import email.utils
import functools
import json as jsonlib
import logging
import random
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, overload

import httpx

from car_enforce.core import clock as clock_mod
from car_enforce.core.clock import Clock
from car_enforce.core.outbound.signing import Signer, SigningInput

log = logging.getLogger(__name__)

T = TypeVar("T")

IDEMPOTENCY_HEADER = "Idempotency-Key"
USER_AGENT = "CarEnforce/1"
# 4xx statuses that mean "not now" rather than "never".
RETRYABLE_4XX = frozenset({408, 429})
_MAX_EXPONENT = 60  # 2**60 times any sane base is past every cap; avoids float overflow for huge counts


class OutboundError(Exception):
    """A call that did not succeed; ``permanent`` means trying it again cannot help."""

    def __init__(
        self,
        reason: str,
        *,
        permanent: bool = False,
        service: str = "",
        status: int | None = None,
        retry_after_s: float | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(f"{service}: {reason}" if service else reason)
        self.reason = reason  # short, and free of the request's data: it is stored and logged
        self.permanent = permanent
        self.service = service
        self.status = status
        self.retry_after_s = retry_after_s  # what the service asked for, in seconds, if it said
        self.attempts = attempts


class MalformedResponse(Exception):
    """Raised by a response check: the service answered 2xx with something it does not promise."""

    def __init__(self, detail: str, *, permanent: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.permanent = permanent


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many tries one call makes and how long it waits between them (doubling, jittered, capped)."""

    attempts: int = 3  # tries in one call, the first one included
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0  # no wait is longer; a Retry-After beyond it ends the call instead
    jitter: float = 0.1  # each wait is stretched by up to this fraction, so a burst spreads out

    def delay(self, failed: int, *, rng: random.Random | None = None) -> float:
        """Seconds to wait after ``failed`` tries have failed (1 for the wait after the first)."""
        base = self.base_delay_s * 2 ** min(max(failed - 1, 0), _MAX_EXPONENT)
        return min(base * (1 + (rng or _random).uniform(0, self.jitter)), self.max_delay_s)


ONE_TRY = RetryPolicy(attempts=1)
_random = random.Random()


@dataclass(frozen=True, slots=True)
class Service:
    """One outside service as the platform calls it: where, how patiently, and with which credentials."""

    name: str  # in errors and logs
    base_url: str = ""  # empty when each call names a full URL (a subscriber's webhook)
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 10.0  # also the write timeout: the longest silence tolerated either way
    retry: RetryPolicy = ONE_TRY
    headers: Mapping[str, str] = field(default_factory=dict)  # sent on every call (an API key)
    signer: Signer | None = None  # signs every call, unless a call brings its own

    @property
    def timeout(self) -> httpx.Timeout:
        return httpx.Timeout(
            connect=self.connect_timeout_s,
            read=self.read_timeout_s,
            write=self.read_timeout_s,
            pool=self.connect_timeout_s,
        )

    @property
    def longest_call_s(self) -> float:
        """How long one call can take when each try fails at its timeouts and every wait is the longest."""
        per_try = self.connect_timeout_s + self.read_timeout_s
        return self.retry.attempts * per_try + (self.retry.attempts - 1) * self.retry.max_delay_s


@functools.cache
def _tls() -> ssl.SSLContext:
    """The TLS settings every pool verifies servers with, httpx's default (certifi's authorities), made
    once: loading the authorities is 20-40 ms, more than the rest of a pool."""
    return httpx.create_ssl_context()


def new_http_pool() -> httpx.Client:
    """A connection pool to share among clients; each call sets its own timeouts, never follows redirects."""
    return httpx.Client(follow_redirects=False, headers={"User-Agent": USER_AGENT}, verify=_tls())


def parse_retry_after(value: str | None, *, now_s: float | None = None) -> float | None:
    """Seconds a ``Retry-After`` value asks for (delta-seconds or an HTTP date); None if absent or garbled."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # an HTTP date is GMT by definition; a zone-less one is read as such
        return None
    # Wall time, not the injectable clock: this is about how long to really wait before the next try.
    return max(when.timestamp() - (time.time() if now_s is None else now_s), 0.0)


def json_object(response: httpx.Response) -> dict[str, Any]:
    """The answer as a JSON object, or ``MalformedResponse``: the most a JSON service promises."""
    try:
        document = response.json()
    except ValueError as exc:
        raise MalformedResponse("the answer is not JSON") from exc
    if not isinstance(document, dict):
        raise MalformedResponse(f"the answer is a JSON {type(document).__name__}, not an object")
    return document


def _error_name(response: httpx.Response) -> str:
    # The service's error name only: bodies may echo what was sent (a phone number), and reasons are stored.
    try:
        document = response.json()
    except ValueError:
        return ""
    if isinstance(document, dict) and isinstance(document.get("error"), str):
        return f" {document['error'][:60]}"
    return ""


class OutboundClient:
    """Calls one service. Thread-safe as httpx is; share one ``http`` pool among several clients."""

    def __init__(
        self,
        service: Service,
        *,
        http: httpx.Client | None = None,
        clock: Clock | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.service = service
        self._own_http = http is None
        self._http = http if http is not None else new_http_pool()
        self._clock = clock
        self._sleep = sleep
        self._rng = rng

    def close(self) -> None:
        if self._own_http:
            self._http.close()

    def __enter__(self) -> OutboundClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- the calls ----------------------------------------------------------------------------------

    @overload
    def post(
        self,
        path: str,
        *,
        idempotency_key: str,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        signer: Signer | None = None,
        retry: RetryPolicy | None = None,
        check: None = None,
    ) -> httpx.Response: ...

    @overload
    def post(
        self,
        path: str,
        *,
        idempotency_key: str,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        signer: Signer | None = None,
        retry: RetryPolicy | None = None,
        check: Callable[[httpx.Response], T],
    ) -> T: ...

    def post(
        self,
        path: str,
        *,
        idempotency_key: str,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        signer: Signer | None = None,
        retry: RetryPolicy | None = None,
        check: Callable[[httpx.Response], Any] | None = None,
    ) -> Any:
        """POST ``json`` (or raw ``content``); every try carries ``idempotency_key``."""
        if not idempotency_key:
            raise ValueError("a POST to an outside service needs an Idempotency-Key")
        return self.request(
            "POST",
            path,
            json=json,
            content=content,
            headers=headers,
            idempotency_key=idempotency_key,
            signer=signer,
            retry=retry,
            check=check,
        )

    @overload
    def get(
        self,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        signer: Signer | None = None,
        retry: RetryPolicy | None = None,
        check: None = None,
    ) -> httpx.Response: ...

    @overload
    def get(
        self,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        signer: Signer | None = None,
        retry: RetryPolicy | None = None,
        check: Callable[[httpx.Response], T],
    ) -> T: ...

    def get(
        self,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        signer: Signer | None = None,
        retry: RetryPolicy | None = None,
        check: Callable[[httpx.Response], Any] | None = None,
    ) -> Any:
        return self.request(
            "GET", path, params=params, headers=headers, signer=signer, retry=retry, check=check
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        content: bytes | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        signer: Signer | None = None,
        retry: RetryPolicy | None = None,
        check: Callable[[httpx.Response], Any] | None = None,
    ) -> Any:
        """Call the service, trying again after retryable failures; the check's value, or the response."""
        method = method.upper()
        if method == "POST" and not idempotency_key:
            raise ValueError("a POST to an outside service needs an Idempotency-Key")
        if json is not None and content is not None:
            raise ValueError("give json or content, not both")
        policy = retry or self.service.retry
        body = content if content is not None else b""
        # httpx.Headers: a caller's "content-type" replaces the default "Content-Type" instead of doubling it.
        fixed = httpx.Headers({"User-Agent": USER_AGENT})
        fixed.update(self.service.headers)
        if json is not None:
            # Serialised here, not by httpx, so the bytes signed are the bytes sent.
            body = jsonlib.dumps(json, ensure_ascii=False, separators=(",", ":")).encode()
            fixed["Content-Type"] = "application/json"
        fixed.update(headers or {})
        if idempotency_key:
            fixed[IDEMPOTENCY_HEADER] = idempotency_key
        try:
            url = self._url(path, params)
        except (httpx.InvalidURL, ValueError) as exc:
            raise OutboundError("invalid URL", permanent=True, service=self.service.name) from exc
        sign = signer or self.service.signer
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._send(method, url, body, fixed, sign, idempotency_key)
                return self._judge(response, check)
            except OutboundError as exc:
                exc.attempts = attempt
                wait = self._wait_before_next(exc, attempt, policy)
                if wait is None:
                    raise
                log.info(
                    "%s: %s %s failed (%s), try %d of %d in %.2f s",
                    self.service.name,
                    method,
                    url.path,
                    exc.reason,
                    attempt + 1,
                    policy.attempts,
                    wait,
                )
                self._sleep(wait)

    # --- the steps ----------------------------------------------------------------------------------

    def _url(self, path: str, params: Mapping[str, str] | None) -> httpx.URL:
        base = self.service.base_url
        raw = base.rstrip("/") + "/" + path.lstrip("/") if base else path
        url = httpx.URL(raw)
        return url.copy_merge_params(dict(params)) if params else url

    def _send(
        self,
        method: str,
        url: httpx.URL,
        body: bytes,
        fixed: httpx.Headers,
        signer: Signer | None,
        idempotency_key: str | None,
    ) -> httpx.Response:
        headers = httpx.Headers(fixed)
        if signer is not None:
            # Signed at each try: a retry carries a fresh timestamp, so a receiver's replay window holds.
            now = int((self._clock or clock_mod.get_clock()).now().timestamp())
            headers.update(
                signer.headers(
                    SigningInput(
                        method=method, url=url, body=body, timestamp=now, idempotency_key=idempotency_key
                    )
                )
            )
        name = self.service.name
        try:
            return self._http.request(
                method,
                url,
                content=body or None,
                headers=headers,
                timeout=self.service.timeout,
                follow_redirects=False,
            )
        except httpx.TimeoutException as exc:
            raise OutboundError(f"timeout ({type(exc).__name__})", service=name) from exc
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise OutboundError("invalid URL", permanent=True, service=name) from exc
        except httpx.HTTPError as exc:
            raise OutboundError(f"network error ({type(exc).__name__})", service=name) from exc

    def _judge(self, response: httpx.Response, check: Callable[[httpx.Response], Any] | None) -> Any:
        status = response.status_code
        name = self.service.name
        if 200 <= status < 300:
            if check is None:
                return response
            try:
                return check(response)
            except MalformedResponse as exc:
                reason = f"malformed answer: {exc.detail}"[:200]
                raise OutboundError(reason, permanent=exc.permanent, service=name, status=status) from exc
            except (ValueError, LookupError, TypeError) as exc:
                # A check that indexes or parses what it was promised fails this way on what it was not.
                raise OutboundError(
                    f"malformed answer ({type(exc).__name__})", service=name, status=status
                ) from exc
        retryable = status >= 500 or status in RETRYABLE_4XX
        raise OutboundError(
            f"HTTP {status}{_error_name(response)}",
            permanent=not retryable,
            service=name,
            status=status,
            retry_after_s=parse_retry_after(response.headers.get("Retry-After")) if retryable else None,
        )

    def _wait_before_next(self, error: OutboundError, attempt: int, policy: RetryPolicy) -> float | None:
        """Seconds to wait before the next try, or None when this call should give up now."""
        if error.permanent or attempt >= policy.attempts:
            return None
        wait = policy.delay(attempt, rng=self._rng)
        if error.retry_after_s is not None:
            if error.retry_after_s > policy.max_delay_s:
                # Longer than a call should block: leave it to the caller's own schedule (the outbox).
                return None
            wait = max(wait, error.retry_after_s)
        return wait
