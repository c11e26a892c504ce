"""Company research: the offline table provider, the HTTP search provider, caching and offline replay, the agent."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import duckdb
import pytest

from revops_cli.agents.base import AgentContext, Task
from revops_cli.errors import ActionError, ConfigError, OfflineMissError
from revops_cli.connectors.web_search import (HttpSearchProvider, OfflineProvider, ResearchResult, extract,
                                                provider_from_settings)
from revops_cli.models import Request, Trace
from revops_cli.warehouse.connect import open_warehouse

from fakes.search_api import SearchAPIFake

SCHEMA = Path(__file__).resolve().parents[1] / "revops_cli" / "warehouse" / "schema.sql"
KEY = "tvly-SECRET-test-key-0123456789"

RESEARCH = [
    ("IXIS Technologies", "ixis.io", "Software", 350, "201-500", "Series B", 45_000_000.0, "Boston, MA", 2015,
     "Snowflake,dbt,Looker", "IXIS builds analytics for logistics fleets.",
     "IXIS raises $30M Series B\nIXIS launches real-time fleet dashboards", "https://ixis.io/about", "2026-11-01"),
    ("DataCorp", "datacorp.com", "Financial Services", 1200, "1001-5000", "Series D", 180_000_000.0,
     "New York, NY", 2011, "BigQuery,Looker", "DataCorp runs payment analytics.", "", "https://datacorp.com", "2026-10-15"),
    ("CloudTech Solutions", "cloudtech.io", "Software", 90, "51-200", "Series A", 12_000_000.0, "Denver, CO", 2020,
     "Redshift", None, None, None, None),
]


def build_warehouse(path: Path) -> Path:
    con = duckdb.connect(str(path))
    con.execute(SCHEMA.read_text())
    con.executemany("INSERT INTO company_research VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", RESEARCH)
    con.close()
    return path


@pytest.fixture
def settings(tmp_path, monkeypatch):
    from revops_cli.config import load_settings

    db = build_warehouse(tmp_path / "wh.duckdb")
    monkeypatch.setenv("REVOPS_DUCKDB_PATH", str(db))
    return load_settings()


@pytest.fixture
def search_api():
    with SearchAPIFake(api_key=KEY) as api:
        yield api


@pytest.fixture
def http_settings(settings, search_api, monkeypatch):
    from revops_cli.config import load_settings

    monkeypatch.setenv("REVOPS_SEARCH__PROVIDER", "http")
    monkeypatch.setenv("REVOPS_SEARCH__URL", search_api.url)
    monkeypatch.setenv("REVOPS_SEARCH_API_KEY", KEY)
    return load_settings()


def context(settings, warehouse, text="research", **params) -> AgentContext:
    return AgentContext(settings=settings, warehouse=warehouse, trace=Trace(), request=Request(text=text, params=params))


# -- offline provider ----------------------------------------------------------------------------------

@pytest.mark.parametrize("asked, found", [
    ("IXIS Technologies", "IXIS Technologies"), ("ixis technologies", "IXIS Technologies"), ("ixis", "IXIS Technologies"),
    ("ixis.io", "IXIS Technologies"), ("Datacrop", "DataCorp"), ("cloudtech", "CloudTech Solutions"),
])
def test_offline_provider_matches(settings, asked, found):
    wh = open_warehouse(settings)
    r = OfflineProvider(wh, settings).research(asked)
    assert r is not None and r.company == found and r.provider == "offline"
    wh.close()


def test_offline_provider_result_and_cache(settings):
    wh = open_warehouse(settings)
    provider = OfflineProvider(wh, settings)
    r = provider.research("IXIS")
    assert r.domain == "ixis.io" and r.industry == "Software" and r.employees == 350
    assert r.employee_range == "201-500" and r.funding_stage == "Series B" and r.headquarters == "Boston, MA"
    assert r.tech_stack == ["Snowflake", "dbt", "Looker"]
    assert r.recent_news == ["IXIS raises $30M Series B", "IXIS launches real-time fleet dashboards"]
    assert r.sources == [{"title": "IXIS Technologies research", "url": "https://ixis.io/about"}]
    assert provider.last_cached is False
    assert provider.research("IXIS") == r
    assert provider.last_cached is True                       # the second call came from the result cache
    wh.close()
    assert {e.namespace for e in wh.cache.entries()} == {"search"}


def test_offline_provider_unknown_company_and_suggestions(settings):
    wh = open_warehouse(settings)
    provider = OfflineProvider(wh, settings)
    assert provider.research("Initech") is None
    assert provider.research("") is None
    assert provider.suggestions("Data Corporation")[0] == "DataCorp"
    wh.close()


def test_offline_mode_replays_research(settings):
    wh = open_warehouse(settings)
    first = OfflineProvider(wh, settings).research("ixis")
    wh.close()
    offline = open_warehouse(settings, mode="offline")
    provider = OfflineProvider(offline, settings)
    assert provider.research("ixis") == first and provider.last_cached is True
    with pytest.raises(OfflineMissError):
        provider.research("DataCorp")


# -- the agent -----------------------------------------------------------------------------------------

def test_agent_profile_answer(settings):
    from revops_cli.agents.web_search import WebSearchAgent

    wh = open_warehouse(settings)
    ctx = context(settings, wh, "research IXIS")
    answer = WebSearchAgent().handle(ctx, Task(intent="research", text="research IXIS", entities={"company": "ixis"}))
    assert answer.ok and answer.agent == "web_search"
    assert answer.data["company"] == "IXIS Technologies" and answer.data["found"] is True
    for bit in ("IXIS Technologies", "Software", "350 employees", "Series B", "Boston, MA", "Snowflake, dbt, Looker",
                "IXIS raises $30M Series B", "https://ixis.io/about"):
        assert bit in answer.text
    [step] = [s for s in ctx.trace.steps if s.kind == "tool"]
    assert step.name == "company_research" and step.params == {"company": "ixis", "provider": "offline"}
    assert step.ok and step.rows == 1
    assert answer.sources and answer.sources[0]["url"] == "https://ixis.io/about"
    wh.close()


def test_agent_unknown_company_suggests(settings):
    from revops_cli.agents.web_search import WebSearchAgent

    wh = open_warehouse(settings)
    ctx = context(settings, wh)
    answer = WebSearchAgent().handle(ctx, Task(intent="research", text="research CloudTek Systems",
                                               entities={"company": "CloudTek Systems"}))
    assert answer.ok and answer.data["found"] is False
    assert "Not found" in answer.text and "CloudTech Solutions" in answer.text
    assert "CloudTech Solutions" in answer.data["suggestions"]
    wh.close()


def test_agent_company_from_text_and_params(settings):
    from revops_cli.agents.web_search import WebSearchAgent, company_from

    assert company_from(Task(intent="research", text="research DataCorp")) == "DataCorp"
    assert company_from(Task(intent="research", text="x", params={"company": "IXIS"})) == "IXIS"
    wh = open_warehouse(settings)
    answer = WebSearchAgent().handle(context(settings, wh), Task(intent="research", text="hello"))
    assert answer.ok and "Which company" in answer.text
    wh.close()


# -- HTTP provider -------------------------------------------------------------------------------------

def test_http_provider_against_fake(http_settings, search_api):
    from revops_cli.agents.web_search import WebSearchAgent

    wh = open_warehouse(http_settings)
    ctx = context(http_settings, wh)
    answer = WebSearchAgent().handle(ctx, Task(intent="research", text="research Northwind Analytics",
                                               entities={"company": "Northwind Analytics"}))
    assert answer.ok
    d = answer.data
    assert d["provider"] == "http" and d["company"] == "Northwind Analytics"
    assert d["employee_range"] == "200-500" and d["funding_stage"] == "Series B"
    assert d["headquarters"] == "Austin, Texas" and d["domain"] == "northwind-analytics.com"
    assert d["industry"] == "Software" and d["founded_year"] == 2019
    assert d["tech_stack"][:3] == ["Snowflake", "dbt", "Looker"] and {"Kafka", "Databricks", "AWS"} <= set(d["tech_stack"])
    assert any("Series B" in n for n in d["recent_news"]) and len(d["sources"]) == 3
    # the wire: one POST, JSON body, the key only as a bearer header
    [req] = search_api.requests
    assert req.headers["authorization"] == f"Bearer {KEY}"
    assert req.json["max_results"] == 5 and req.json["search_depth"] == "basic"
    assert "Northwind Analytics" in req.json["query"] and KEY not in json.dumps(req.json)
    # the key is nowhere in the trace or the cache
    assert KEY not in json.dumps([s.__dict__ for s in ctx.trace.steps], default=str)
    wh.close()
    entries = wh.cache.entries(namespace="search")
    assert len(entries) == 1 and entries[0].source.startswith("search:127.0.0.1:")
    for e in entries:
        full = wh.cache.get(e.key)
        assert KEY not in e.key + e.sql + e.params + full.payload
    # the second time comes from the cache: no new request
    wh2 = open_warehouse(http_settings)
    provider = provider_from_settings(http_settings, wh2)
    assert provider.research("Northwind Analytics").funding_stage == "Series B"
    assert provider.last_cached is True and len(search_api.requests) == 1
    wh2.close()


def test_http_research_replays_offline_without_the_api(http_settings, search_api, monkeypatch):
    wh = open_warehouse(http_settings)
    online = provider_from_settings(http_settings, wh).research("Globex")
    wh.close()
    search_api.stop()
    monkeypatch.delenv("REVOPS_SEARCH_API_KEY")                 # not even the key is needed to replay
    from revops_cli.config import load_settings

    settings = load_settings()
    offline = open_warehouse(settings, mode="offline")
    provider = provider_from_settings(settings, offline)
    assert provider.research("Globex") == online and provider.last_cached is True
    assert online.funding_stage == "Public" and online.employees == 12000 and online.industry == "Logistics"
    assert {"Oracle", "SAP"} <= set(online.tech_stack)
    with pytest.raises(OfflineMissError, match="no cached research"):
        provider.research("Northwind Analytics")


def test_http_unknown_company_is_none(http_settings, search_api):
    wh = open_warehouse(http_settings)
    assert provider_from_settings(http_settings, wh).research("Nonexistent Widgets") is None
    wh.close()


def test_http_results_about_another_company_are_not_found(http_settings, search_api):
    wh = open_warehouse(http_settings)
    provider = provider_from_settings(http_settings, wh)
    # the API answers a query about "Northwind Robotics" with Northwind Analytics' pages, as real ones do
    assert provider.research("Northwind Robotics") is None
    assert len(search_api.requests) == 1
    assert provider.research("Northwind Analytics").company == "Northwind Analytics"
    wh.close()


def test_missing_api_key(settings, monkeypatch):
    from revops_cli.config import load_settings

    monkeypatch.setenv("REVOPS_SEARCH__PROVIDER", "http")
    s = load_settings()
    wh = open_warehouse(s)
    with pytest.raises(ConfigError) as err:
        provider_from_settings(s, wh)
    assert "REVOPS_SEARCH_API_KEY" in err.value.one_line()
    monkeypatch.setenv("REVOPS_SEARCH__PROVIDER", "bing-scraper")
    with pytest.raises(ConfigError, match="unknown search provider"):
        provider_from_settings(load_settings(), wh)


def test_wrong_key_is_one_line_without_the_key(search_api, tmp_path):
    from revops_cli.warehouse.cache import ResultCache

    provider = HttpSearchProvider(search_api.url, "tvly-WRONG-key-987654", ResultCache(tmp_path / "c.duckdb"))
    with pytest.raises(ActionError) as err:
        provider.research("Globex")
    assert err.value.message == "search provider refused the API key"
    assert "WRONG" not in err.value.one_line() and "REVOPS_SEARCH_API_KEY" in err.value.one_line()
    assert "WRONG" not in repr(provider)


def test_server_error_and_unreachable(search_api, tmp_path):
    provider = HttpSearchProvider(search_api.url, KEY, None)
    search_api.fail_next(500)
    with pytest.raises(ActionError, match="HTTP 500"):
        provider.research("Globex")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    dead = HttpSearchProvider(f"http://127.0.0.1:{port}/search", KEY, None)
    with pytest.raises(ActionError) as err:
        dead.research("Globex")
    assert "cannot reach the search provider" in err.value.message and KEY not in err.value.one_line()


def test_extract_heuristics():
    r = extract("acme", {"results": [
        {"title": "Acme Corp announces partnership", "url": "https://www.acme.com/news",
         "content": "Acme Corp employs over 1,500 people and is based in San Francisco, California. "
                    "It raised a Seed round, then a Series A and a Series C. Stack: Postgres, Kubernetes, Tableau."}]})
    assert isinstance(r, ResearchResult)
    assert r.employees == 1500 and r.employee_range == "1001-5000"
    assert r.funding_stage == "Series C" and r.headquarters == "San Francisco, California"
    assert r.tech_stack == ["PostgreSQL", "Kubernetes", "Tableau"] and r.domain == "acme.com"
    assert r.recent_news == ["Acme Corp announces partnership"]
    assert extract("nobody", {"results": []}) is None
