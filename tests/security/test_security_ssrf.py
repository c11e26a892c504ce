"""Finding 6 (issue 14): metadata addresses were allowed when `allow_hosts` held a CIDR that covered them,
and the 6to4 form of 169.254.169.254 passed.

Written from the attacker's side: every disguise of a metadata or link-local address is refused even with
`allow_hosts: ["0.0.0.0/0", "::/0"]`, for webhook destinations (literal URLs and DNS answers), the HTTP
search provider's URL and the Slack Web API base URL. The guard still checks the address it connects to.
"""

from __future__ import annotations

import socket

import pytest

from revops_cli.errors import ActionError
from revops_cli.connectors import webhooks as wh
from revops_cli.connectors.addresses import OutboundRefused, check_outbound_url

EVERYTHING = ["0.0.0.0/0", "::/0"]

# (URL host, what it really is)
DISGUISES = [
    ("169.254.169.254", "AWS/GCP/Azure metadata"),
    ("169.254.170.2", "ECS task metadata"),
    ("169.254.1.1", "IPv4 link-local"),
    ("[fe80::1]", "IPv6 link-local"),
    ("[fe80::a9fe:a9fe%25eth0]", "IPv6 link-local with a zone"),
    ("[fd00:ec2::254]", "AWS IPv6 metadata"),
    ("100.100.100.200", "Alibaba metadata"),
    ("192.0.0.192", "Oracle metadata"),
    ("[::ffff:169.254.169.254]", "IPv4-mapped"),
    ("[::ffff:a9fe:a9fe]", "IPv4-mapped, hex"),
    ("[::169.254.169.254]", "IPv4-compatible"),
    ("[2002:a9fe:a9fe::]", "6to4"),
    ("[2002:a9fe:a9fe:1234::1]", "6to4 with a subnet"),
    ("[64:ff9b::a9fe:a9fe]", "NAT64 well-known prefix"),
    ("[64:ff9b::169.254.169.254]", "NAT64, dotted"),
    ("[64:ff9b:1::a9fe:a9fe]", "NAT64 local-use /96"),
    ("[64:ff9b:1:a9fe:a9:fe00::]", "NAT64 local-use /48"),
    ("[2001:0:4136:e378:8000:63bf:5601:5601]", "Teredo client 169.254.169.254"),
    ("2852039166", "decimal IPv4"),
    ("0251.0376.0251.0376", "octal IPv4"),
    ("0xa9fea9fe", "hex IPv4"),
    ("0xa9.0xfe.0xa9.0xfe", "hex IPv4, dotted"),
    ("169.254.43518", "short IPv4"),
    ("0251.254.169.254", "mixed octal IPv4"),
]


@pytest.mark.parametrize("host,kind", DISGUISES, ids=[k for _, k in DISGUISES])
def test_webhook_destination_refused_whatever_the_allow_list(host, kind):
    url = f"http://{host}/latest/meta-data/iam/security-credentials/"
    with pytest.raises(wh.DestinationRefused, match="metadata|link-local") as err:
        wh.resolve_destination(url, EVERYTHING, resolver=_no_dns)
    assert "whatever webhooks.allow_hosts says" in err.value.hint
    with pytest.raises(wh.DestinationRefused):
        wh.resolve_destination(url, [host.strip("[]"), "169.254.0.0/16", "fe80::/10", "2002::/16", "64:ff9b::/32"],
                               resolver=_no_dns)


def _no_dns(*_a, **_k):
    raise AssertionError("an IP literal in any form must not go to DNS")


def _dns(address: str):
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    return lambda host, port, *a: [(family, socket.SOCK_STREAM, 6, "", (address, port))]


@pytest.mark.parametrize("answer", ["169.254.169.254", "fe80::1", "::ffff:169.254.169.254", "2002:a9fe:a9fe::",
                                    "64:ff9b::a9fe:a9fe", "fd00:ec2::254", "100.100.100.200"])
def test_a_dns_answer_pointing_there_is_refused(answer):
    with pytest.raises(wh.DestinationRefused, match="metadata|link-local"):
        wh.resolve_destination("https://hooks.attacker.example/x", EVERYTHING + ["hooks.attacker.example"],
                               resolver=_dns(answer))


def test_delivery_to_a_disguised_metadata_address_never_connects():
    class NoClient:
        def post(self, *a, **k):
            raise AssertionError("the guard must refuse before any connection")

        def close(self):
            pass

    result = wh.deliver("http://[2002:a9fe:a9fe::]/", {"x": 1}, secret="s", allow_hosts=EVERYTHING,
                        client=NoClient(), resolver=_no_dns)
    assert not result.ok and "metadata" in result.error and result.attempts == 1


def test_the_allow_list_still_opens_ordinary_internal_addresses():
    wh.resolve_destination("http://127.0.0.1:8080/hook", ["127.0.0.1"], resolver=_no_dns)
    wh.resolve_destination("http://10.1.2.3/hook", EVERYTHING, resolver=_no_dns)
    wh.resolve_destination("http://[::1]:8080/", EVERYTHING, resolver=_no_dns)
    with pytest.raises(wh.DestinationRefused, match="loopback"):
        wh.resolve_destination("http://2130706433/", [], resolver=_no_dns)      # 127.0.0.1 as a number
    with pytest.raises(wh.DestinationRefused, match="private"):
        wh.resolve_destination("http://[2002:a00:1::]/", [], resolver=_no_dns)   # 10.0.0.1 inside 6to4


@pytest.mark.parametrize("host,kind", DISGUISES, ids=[k for _, k in DISGUISES])
def test_configured_base_urls_refused(host, kind):
    with pytest.raises(OutboundRefused, match="metadata|link-local"):
        check_outbound_url(f"http://{host}/v1/search", "search.url", resolver=_no_dns)


def test_search_provider_never_calls_a_metadata_address(capsys, monkeypatch):
    from cli import run

    class Boom:
        def post(self, *a, **k):
            raise AssertionError("no request may leave")

    monkeypatch.setenv("REVOPS_SEARCH__PROVIDER", "http")
    monkeypatch.setenv("REVOPS_SEARCH__URL", "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/")
    monkeypatch.setenv("REVOPS_SEARCH_API_KEY", "k-123")
    monkeypatch.setattr("httpx.Client", lambda *a, **k: Boom())
    r = run(capsys, "search", "CloudTech", "-f", "json")
    assert r.code != 0
    assert "metadata" in (r.out + r.err)
    assert "Traceback" not in r.err


def test_slack_base_url_refused():
    from revops_cli.connectors.slack_client import SlackNotifier

    with pytest.raises(ActionError, match="slack.api_url"):
        SlackNotifier("xoxb-test", api_url="http://0xa9fea9fe/api/")


def test_openai_base_url_refused(monkeypatch):
    from revops_cli.agents.backends.openai_client import OpenAISettings, make_client
    from revops_cli.config import load_settings

    monkeypatch.setenv("REVOPS_OPENAI__BASE_URL", "http://[::ffff:169.254.169.254]/v1")
    monkeypatch.setenv("REVOPS_OPENAI__MODEL", "m")
    cfg = OpenAISettings.from_settings(load_settings())
    with pytest.raises(ActionError, match="openai.base_url"):
        make_client(cfg)


def test_firebolt_core_url_refused():
    from revops_cli.warehouse.firebolt import FireboltWarehouse

    wh = FireboltWarehouse(url="http://0251.0376.0251.0376:3473", database="db")
    with pytest.raises(ActionError, match="warehouse.url"):
        wh.query("SELECT 1 AS x")
