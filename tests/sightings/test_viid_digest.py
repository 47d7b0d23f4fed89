"""HTTP Digest for GA/T 1400 registration (RFC 2617, MD5, qop=auth): pure, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from car_enforce.sightings.viid import digest
from car_enforce.sightings.viid.digest import Credentials, NonceState

SECRET = b"test-nonce-secret"
REALM = "carenforce-viid"
PEER = "192.0.2.17"
NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def test_the_rfc_2617_example_computes_its_published_response() -> None:
    # RFC 2617 §3.5: Mufasa / "Circle Of Life" at testrealm@host.com.
    header = (
        'Digest username="Mufasa", realm="testrealm@host.com", '
        'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", qop=auth, nc=00000001, '
        'cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", '
        'opaque="5ccc069c403ebaf9f0171e9517f40e41"'
    )
    credentials = digest.parse_authorization(header)
    assert credentials == Credentials(
        username="Mufasa",
        realm="testrealm@host.com",
        nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093",
        uri="/dir/index.html",
        response="6629fae49393a05397450978507c4ef1",
        qop="auth",
        nc="00000001",
        cnonce="0a4f113b",
        opaque="5ccc069c403ebaf9f0171e9517f40e41",
    )
    ha1 = digest.ha1("Mufasa", "testrealm@host.com", "Circle Of Life")
    assert digest.verify(credentials, ha1, "GET")
    assert not digest.verify(credentials, digest.ha1("Mufasa", "testrealm@host.com", "wrong"), "GET")
    assert not digest.verify(credentials, ha1, "POST")  # the method is part of what was signed


def test_an_answer_without_qop_rfc_2069_style_is_checked_too() -> None:
    ha1 = digest.ha1("pingyang-viid", REALM, "ck_key")
    nonce = digest.make_nonce(SECRET, realm=REALM, peer=PEER, now=NOW)
    ha2 = digest.md5_hex("POST:/VIID/System/Register")
    response = digest.md5_hex(f"{ha1}:{nonce}:{ha2}")
    header = (
        f'Digest username="pingyang-viid", realm="{REALM}", nonce="{nonce}", '
        f'uri="/VIID/System/Register", response="{response.upper()}"'
    )
    credentials = digest.parse_authorization(header)
    assert credentials.qop is None and credentials.response == response
    assert digest.verify(credentials, ha1, "POST")


def test_httpx_digest_client_answers_our_challenge() -> None:
    """A real client implementation (httpx.DigestAuth) reads the challenge and its answer verifies."""
    nonce = digest.make_nonce(SECRET, realm=REALM, peer=PEER, now=NOW)
    seen: list[str] = []

    def server(request: httpx.Request) -> httpx.Response:
        header = request.headers.get("Authorization")
        if header is None:
            return httpx.Response(401, headers={"WWW-Authenticate": digest.challenge(REALM, nonce)})
        seen.append(header)
        credentials = digest.parse_authorization(header)
        ok = digest.verify(credentials, digest.ha1("dev", REALM, "ck_secret"), request.method)
        return httpx.Response(200 if ok else 403)

    client = httpx.Client(transport=httpx.MockTransport(server), auth=httpx.DigestAuth("dev", "ck_secret"))
    assert client.post("http://viid.test/VIID/System/Register", json={}).status_code == 200
    (header,) = seen
    credentials = digest.parse_authorization(header)
    assert (credentials.qop, credentials.nonce, digest.uri_path(credentials.uri)) == (
        "auth",
        nonce,
        "/VIID/System/Register",
    )


def test_the_challenge_offers_md5_and_auth_only() -> None:
    header = digest.challenge(REALM, "abc")
    assert header.startswith("Digest ")
    assert f'realm="{REALM}"' in header and 'qop="auth"' in header and "algorithm=MD5" in header
    assert "auth-int" not in header and "stale" not in header
    assert digest.challenge(REALM, "abc", stale=True).endswith("stale=true")


def test_a_nonce_is_fresh_then_stale_and_bound_to_realm_address_and_secret() -> None:
    nonce = digest.make_nonce(SECRET, realm=REALM, peer=PEER, now=NOW)
    assert len(nonce) == 40

    def state(**changes: object) -> NonceState:
        args: dict[str, object] = {"realm": REALM, "peer": PEER, "now": NOW, **changes}
        secret = args.pop("secret", SECRET)
        return digest.nonce_state(args.pop("nonce", nonce), secret, **args)  # type: ignore[arg-type]

    assert state() is NonceState.FRESH
    assert state(now=NOW + digest.NONCE_TTL) is NonceState.FRESH
    assert state(now=NOW + digest.NONCE_TTL + timedelta(seconds=1)) is NonceState.STALE
    assert state(peer="192.0.2.18") is NonceState.FORGED  # a captured answer replayed from elsewhere
    assert state(realm="other") is NonceState.FORGED
    assert state(secret=b"another worker's secret") is NonceState.FORGED
    assert state(nonce=nonce[:-1] + ("0" if nonce[-1] != "0" else "1")) is NonceState.FORGED
    assert state(nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093") is NonceState.FORGED
    assert state(now=NOW - timedelta(minutes=5)) is NonceState.FORGED  # issued in the checker's future


@pytest.mark.parametrize(
    ("header", "says"),
    [
        ("Basic cGluZ3lhbmc6eA==", "HTTP Digest"),
        ('Digest username="u", realm="r", nonce="n", uri="/", response="x"', "32 hexadecimal"),
        ('Digest username="u", realm="r", nonce="n", uri="/"', "lacks response"),
        ('Digest username="u", realm="r", nonce="n", uri="/", response="' + "a" * 32 + '", qop=auth', "nc"),
        (
            'Digest username="u", realm="r", nonce="n", uri="/", response="' + "a" * 32 + '", '
            'qop=auth-int, nc=00000001, cnonce="c"',
            "qop",
        ),
        (
            'Digest username="u", realm="r", nonce="n", uri="/", response="' + "a" * 32 + '", '
            "algorithm=MD5-sess",
            "MD5",
        ),
        ('Digest username="u", username="v", realm="r"', "twice"),
        ('Digest username="u", realm="r', "cannot be read"),
    ],
)
def test_answers_that_cannot_be_checked(header: str, says: str) -> None:
    with pytest.raises(digest.DigestError, match=says):
        digest.parse_authorization(header)


def test_quoted_values_keep_commas_and_escapes_and_absolute_uris_name_their_path() -> None:
    header = (
        'digest username="a\\"b,c", realm="r", nonce="n", uri="http://10.0.0.5:8000/VIID/System/Register", '
        f'response="{"b" * 32}", algorithm="md5"'
    )
    credentials = digest.parse_authorization(header)
    assert credentials.username == 'a"b,c'
    assert digest.uri_path(credentials.uri) == "/VIID/System/Register"
