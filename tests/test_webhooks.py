"""Outbound webhooks: Standard Webhooks signatures, the SSRF guard, delivery with retries."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import time

import pytest

from revops_cli.errors import ActionError, ConfigError, UsageError
from revops_cli.connectors import webhooks as wh
from fakes.webhook_receiver import WebhookReceiver

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
LOCAL = ["127.0.0.1"]


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


# -- signatures -----------------------------------------------------------------------------------------

def test_sign_matches_the_published_standard_webhooks_vector():
    body = b'{"test": 2432232314}'
    assert wh.sign(SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == \
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_sign_computed_by_hand_from_the_spec():
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    body = b'{"event":"x"}'
    mac = hmac.new(key, b"msg_1.1700000000." + body, hashlib.sha256).digest()
    assert wh.sign(SECRET, "msg_1", 1700000000, body) == "v1," + base64.b64encode(mac).decode()


def test_non_base64_secret_uses_raw_bytes():
    body = b"{}"
    mac = hmac.new(b"my-shared-secret!", b"id.1.{}", hashlib.sha256).digest()
    assert wh.sign("my-shared-secret!", "id", 1, body) == "v1," + base64.b64encode(mac).decode()
    with pytest.raises(ConfigError):
        wh.sign("", "id", 1, body)


def test_signed_headers_verify_and_tampering_fails():
    body = wh.encode_body({"a": 1})
    headers = wh.signed_headers(SECRET, "msg_abc", body)
    assert headers["content-type"] == "application/json"
    assert wh.verify(SECRET, headers, body)
    assert wh.verify(SECRET, {k.upper(): v for k, v in headers.items()}, body)      # header names are case-free
    assert not wh.verify(SECRET, headers, body + b" ")
    assert not wh.verify("whsec_" + base64.b64encode(b"other").decode(), headers, body)
    old = wh.signed_headers(SECRET, "msg_abc", body, timestamp=int(time.time()) - 3600)
    assert not wh.verify(SECRET, old, body)
    assert wh.verify(SECRET, old, body, tolerance_s=7200)
    # several signatures (secret rotation): any match is enough
    multi = dict(headers, **{"webhook-signature": "v1,AAAA " + headers["webhook-signature"]})
    assert wh.verify(SECRET, multi, body)
    assert not wh.verify(SECRET, {}, body)


# -- the SSRF guard -------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "http://127.0.0.1:9/hook", "http://10.1.2.3/hook", "http://192.168.0.5/", "http://172.16.0.1/",
    "http://169.254.169.254/latest/meta-data/", "http://[::1]:8080/", "http://[fd00:ec2::254]/",
    "http://0.0.0.0/", "http://[::ffff:127.0.0.1]/", "http://224.0.0.1/", "http://100.64.0.1/",
    "http://localhost/hook",
])
def test_guard_refuses_internal_addresses(url):
    with pytest.raises(wh.DestinationRefused):
        wh.check_destination(url, [])


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "gopher://x/", "http:///nohost"])
def test_guard_refuses_other_schemes_and_hostless(url):
    with pytest.raises(ActionError):
        wh.check_destination(url, [])


def test_guard_refuses_credentials_in_url_even_when_allowed():
    with pytest.raises(wh.DestinationRefused, match="credentials"):
        wh.check_destination("http://user:pass@127.0.0.1/hook", LOCAL)
    with pytest.raises(wh.DestinationRefused):
        wh.check_destination("http://user@127.0.0.1/hook", LOCAL)


def test_guard_allow_hosts():
    wh.check_destination("http://127.0.0.1:8000/hook", ["127.0.0.1"])
    wh.check_destination("http://10.1.2.3/hook", ["10.0.0.0/8"])
    wh.check_destination("http://[::1]:8080/", ["::1"])
    wh.check_destination("http://localhost:8080/", ["localhost"])
    # a metadata address is refused even when its host name is allowed, and even when the IP itself is listed
    fake_dns = lambda host, port, *a: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", port))]
    with pytest.raises(wh.DestinationRefused, match="metadata"):
        wh.resolve_destination("http://metadata.internal/", ["metadata.internal"], resolver=fake_dns)
    with pytest.raises(wh.DestinationRefused, match="metadata"):
        wh.check_destination("http://169.254.169.254/", ["169.254.169.254"])


def test_guard_refuses_when_any_resolved_address_is_internal():
    fake_dns = lambda host, port, *a: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
                                       (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port))]
    with pytest.raises(wh.DestinationRefused, match="10.0.0.7"):
        wh.resolve_destination("https://hooks.example.com/x", [], resolver=fake_dns)
    public = lambda host, port, *a: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]
    dest = wh.resolve_destination("https://hooks.example.com/x?token=abc", [], resolver=public)
    assert dest.pinned_url() == "https://93.184.216.34/x?token=abc"
    assert dest.host_header() == "hooks.example.com"


def test_url_location_hides_path_and_query():
    from revops_cli.redaction import url_location

    assert url_location("https://hooks.slack.com/services/T1/B2/SECRET?x=1") == "https://hooks.slack.com/…"
    assert "SECRET" not in url_location("https://hooks.slack.com/services/SECRET")


# -- delivery -------------------------------------------------------------------------------------------

def test_deliver_signed_payload():
    with WebhookReceiver(secret=SECRET) as rx:
        result = wh.deliver(rx.url, {"event": "test", "n": 1}, secret=SECRET, allow_hosts=LOCAL, sleep=Sleeps())
        assert result.ok and result.status == 200 and result.attempts == 1
        [req] = rx.requests
        assert req.verified is True
        assert req.json == {"event": "test", "n": 1}
        assert req.headers["webhook-id"] == result.msg_id
        assert req.headers["host"] == f"127.0.0.1:{rx.port}"


def test_deliver_refused_destination_never_connects():
    with WebhookReceiver() as rx:
        result = wh.deliver(rx.url, {"x": 1}, secret=SECRET, allow_hosts=[], sleep=Sleeps())
        assert not result.ok and result.attempts == 1 and "loopback" in result.error
        assert rx.requests == []


def test_deliver_retries_through_two_failures_then_succeeds():
    sleeps = Sleeps()
    with WebhookReceiver(secret=SECRET) as rx:
        rx.fail_next(2, status=503)
        result = wh.deliver(rx.url, {"x": 1}, secret=SECRET, allow_hosts=LOCAL, sleep=sleeps)
        assert result.ok and result.attempts == 3
        assert len(rx.requests) == 3 and [r.status for r in rx.requests] == [503, 503, 200]
        assert len({r.headers["webhook-id"] for r in rx.requests}) == 1        # same id on every retry
        assert all(r.verified for r in rx.requests)
    assert len(sleeps) == 2
    assert 0.5 <= sleeps[0] <= 0.5 * 1.2 and 2 <= sleeps[1] <= 2 * 1.2       # backoff plus jitter
    assert result.waits == sleeps


def test_deliver_gives_up_after_attempts():
    sleeps = Sleeps()
    with WebhookReceiver() as rx:
        rx.fail_next(5, status=500)
        result = wh.deliver(rx.url, {"x": 1}, secret=SECRET, allow_hosts=LOCAL, sleep=sleeps)
        assert not result.ok and result.attempts == 3 and result.status == 500
        assert "HTTP 500" in result.error and len(rx.requests) == 3 and len(sleeps) == 2


def test_retry_after_is_honoured_and_capped():
    sleeps = Sleeps()
    with WebhookReceiver() as rx:
        rx.fail_next(1, status=429, retry_after=3)
        rx.fail_next(1, status=503, retry_after=3600)
        result = wh.deliver(rx.url, {"x": 1}, secret=SECRET, allow_hosts=LOCAL, sleep=sleeps, max_retry_after_s=30)
        assert result.ok and result.attempts == 3
    assert sleeps == [3.0, 30.0]


def test_410_disables_without_retry():
    sleeps = Sleeps()
    with WebhookReceiver() as rx:
        rx.respond_with(410)
        result = wh.deliver(rx.url, {"x": 1}, secret=SECRET, allow_hosts=LOCAL, sleep=sleeps)
        assert not result.ok and result.disabled and result.status == 410 and result.attempts == 1
        assert len(rx.requests) == 1 and sleeps == []


def test_other_4xx_fails_without_retry():
    with WebhookReceiver() as rx:
        rx.respond_with(400)
        result = wh.deliver(rx.url, {"x": 1}, secret=SECRET, allow_hosts=LOCAL, sleep=Sleeps())
        assert not result.ok and not result.disabled and result.attempts == 1


def test_redirect_is_not_followed():
    with WebhookReceiver() as target, WebhookReceiver() as rx:
        rx.redirect_to(target.url, status=307)
        result = wh.deliver(rx.url, {"x": 1}, secret=SECRET, allow_hosts=LOCAL, sleep=Sleeps())
        assert not result.ok and result.status == 307 and "redirect" in result.error and result.attempts == 1
        assert target.requests == []


def test_connection_refused_is_retried_and_reported_in_one_line():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()                          # nothing listens there now
    sleeps = Sleeps()
    result = wh.deliver(f"http://127.0.0.1:{port}/hook?token=zzz", {"x": 1}, secret=SECRET, allow_hosts=LOCAL,
                        sleep=sleeps)
    assert not result.ok and result.attempts == 3 and len(sleeps) == 2
    assert "unreachable" in result.error and "zzz" not in result.error and "\n" not in result.error


# -- configured endpoints ------------------------------------------------------------------------------

def test_endpoint_from_settings(monkeypatch):
    from revops_cli.config import load_settings

    monkeypatch.setenv("REVOPS_WEBHOOK_URL", "https://hooks.example.com/default")
    monkeypatch.setenv("REVOPS_WEBHOOK_SECRET", "whsec_default")
    settings = load_settings(overrides={"webhooks.endpoints": {
        "crm_alerts": {"url": "https://hooks.example.com/alerts", "secret": "whsec_alerts"},
        "ops": {"url": "https://ops.example.com/in"}}})
    assert wh.endpoint(settings) == ("https://hooks.example.com/default", "whsec_default")
    assert wh.endpoint(settings, "crm_alerts") == ("https://hooks.example.com/alerts", "whsec_alerts")
    assert wh.endpoint(settings, "CRM-Alerts") == ("https://hooks.example.com/alerts", "whsec_alerts")
    assert wh.endpoint(settings, "ops") == ("https://ops.example.com/in", "whsec_default")
    with pytest.raises(UsageError) as err:
        wh.endpoint(settings, "https://evil.example.com/x")
    assert "crm_alerts" in err.value.one_line() and "ops" in err.value.one_line()


def test_no_endpoint_configured():
    from revops_cli.config import load_settings

    with pytest.raises(ConfigError, match="no webhook URL"):
        wh.endpoint(load_settings())
    with pytest.raises(UsageError, match="unknown webhook endpoint"):
        wh.endpoint(load_settings(), "alerts")


def test_payload_body_is_compact_json():
    assert json.loads(wh.encode_body({"a": [1, 2]})) == {"a": [1, 2]}
