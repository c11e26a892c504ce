"""Company research: firmographics, tech stack and news for a company name.

Two providers, one result (`ResearchResult`):
- `OfflineProvider` (search.provider: offline, the default) reads the warehouse's `company_research`
  table: the exact name or domain; else the same name without its legal suffix ("CloudTech Inc" for
  "CloudTech"); else a name whose leading whole words the question gives ("IXIS" for "IXIS Technologies"),
  when only one name does; else a typo of one name (one slip in a word of five letters or more, one name
  closest).
  Anything else is not found, with the closest names as suggestions: a company it does not know is never
  answered with another company's profile ("Acme Robotics" is not "Nautilus Robotics International").
  Its queries go through the warehouse like any other, so they are cached and replay offline.
- `HttpSearchProvider` (search.provider: http) calls a Tavily-style search API:
  `POST {url}` with `{"query", "max_results": 5, "search_depth": "basic"}` and
  `Authorization: Bearer <api key>`; answer `{"results": [{"title", "url", "content"}], "answer"?}`.
  Firmographics are pulled out of the result text with plain patterns ("200-500 employees",
  "Series B", known tech names, "headquartered in …"). The raw answer is kept in the result cache
  (namespace "search", source "search:<host>", keyed by the query only: never the key), so `--offline`
  replays research and a later, better extractor can re-read it. Results that never name the company
  asked for are not found: a search API answers something for any query, often about other companies.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

from revops_cli.errors import ActionError, ConfigError, OfflineMissError
from revops_cli.formatting import json_default
from revops_cli.redaction import url_host

NAMESPACE = "search"
DEFAULT_SEARCH_URL = "https://api.tavily.com/search"
COLUMNS = ("company_name", "domain", "industry", "employees", "employee_range", "funding_stage", "total_funding",
           "headquarters", "founded_year", "tech_stack", "description", "recent_news", "source_url", "updated_at")


@dataclass
class ResearchResult:
    company: str
    domain: str | None = None
    industry: str | None = None
    employees: int | None = None
    employee_range: str | None = None
    funding_stage: str | None = None
    tech_stack: list[str] = field(default_factory=list)
    headquarters: str | None = None
    description: str | None = None
    recent_news: list[str] = field(default_factory=list)
    sources: list[dict[str, str]] = field(default_factory=list)    # [{"title", "url"}]
    provider: str = "offline"
    total_funding: float | None = None
    founded_year: int | None = None
    updated_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class SearchProvider(Protocol):
    name: str
    last_cached: bool | None

    def research(self, company: str) -> ResearchResult | None: ...


def _split(value: Any, sep: str) -> list[str]:
    if not value:
        return []
    return [p.strip() for p in str(value).split(sep) if p.strip()]


def employee_bucket(n: int | None) -> str | None:
    if n is None:
        return None
    for lo, hi in ((1, 10), (11, 50), (51, 200), (201, 500), (501, 1000), (1001, 5000), (5001, 10000)):
        if n <= hi:
            return f"{lo}-{hi}"
    return "10000+"


# -- matching a typed name to the names we hold ----------------------------------------------------------

LEGAL_SUFFIXES = frozenset({"inc", "incorporated", "corp", "corporation", "co", "company", "llc", "ltd", "limited",
                            "plc", "gmbh", "ag", "sa", "bv", "nv", "group", "holdings", "international", "global",
                            "ventures"})


def _words(name: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", name.lower().replace("&", " and "))


def core_name(name: str) -> str:
    """The name without punctuation and legal suffixes: 'CloudTech, Inc.' -> 'cloudtech'."""
    words = _words(name)
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    return " ".join(words)


def same_company(asked: str, names: list[str]) -> str | None:
    """The one held name that is the company asked for, or None: the same core name; else the only name
    whose leading whole words are the question's; else the only closest name within a typo (one
    slip in a word of five letters or more, two from eight: 'cloudtek' is CloudTech). Never a name that merely shares
    a word ("Acme Robotics" is not "Nautilus Robotics International")."""
    from rapidfuzz.distance import OSA

    core = core_name(asked)
    if not core:
        return None
    cores = {n: core_name(n) for n in names}
    same = [n for n, c in cores.items() if c == core]
    if len(same) == 1:
        return same[0]
    prefix = [n for n in names if " ".join(_words(n)).startswith(core + " ")]
    if len(prefix) == 1:
        return prefix[0]
    if prefix:
        return None                                   # "Cobalt": two companies start so; ask which
    asked_words = core.split()

    def slips(held: str) -> int | None:
        """Edits from the asked name to a held one, word by word; None past a word's allowance (none in a
        word under five letters, one from five, two from eight)."""
        words = held.split()
        if len(words) != len(asked_words):
            return None
        total = 0
        for a, b in zip(asked_words, words):
            d = OSA.distance(a, b)
            if d > (len(a) >= 5) + (len(a) >= 8):
                return None
            total += d
        return total

    close = sorted((d, n) for n, c in cores.items() if c and (d := slips(c)) is not None)
    if close and (len(close) == 1 or close[0][0] < close[1][0]):
        return close[0][1]
    return None


def names_the_company(company: str, text: str) -> bool:
    """Whether a text names the company (its core name as whole words, case-insensitive)."""
    core = core_name(company)
    if not core:
        return False
    return re.search(r"(?<![a-z0-9])" + r"[^a-z0-9]*".join(map(re.escape, core.split())) + r"(?![a-z0-9])",
                     text.lower()) is not None


# -- offline: the company_research table --------------------------------------------------------------

class OfflineProvider:
    name = "offline"

    def __init__(self, warehouse: Any, settings: Any):
        self.warehouse = warehouse
        self.settings = settings
        self.table = "company_research"      # canonical: the semantic model maps it (warehouse/queries.py)
        self.last_cached: bool | None = None

    def _query(self, sql: str, params: list[Any]) -> Any:
        from revops_cli.warehouse.queries import run_query

        result = run_query(self.warehouse, self.settings, sql, params, namespace=NAMESPACE)
        self.last_cached = bool(result.cached) if self.last_cached is None else (self.last_cached and result.cached)
        return result

    def _select(self, where: str, params: list[Any]) -> dict[str, Any] | None:
        sql = (f"SELECT {', '.join(COLUMNS)} FROM {self.table} WHERE {where} "
               "ORDER BY length(company_name) NULLS LAST, company_name NULLS LAST LIMIT 1")
        return self._query(sql, params).first()

    def names(self) -> list[str]:
        return [r for r in self._query(f"SELECT DISTINCT company_name FROM {self.table} ORDER BY 1 NULLS LAST", []).column(
            "company_name") if r]

    def research(self, company: str) -> ResearchResult | None:
        self.last_cached = None
        company = " ".join(str(company).split())
        if not company:
            return None
        row = self._select("lower(company_name) = lower(?) OR lower(domain) = lower(?)", [company, company])
        if row is None:
            name = same_company(company, self.names())
            if name:
                row = self._select("company_name = ?", [name])
        return self._to_result(row) if row else None

    def suggestions(self, company: str, limit: int = 3, cutoff: float = 60) -> list[str]:
        from rapidfuzz import fuzz, process, utils

        names = self.names()
        found = process.extract(company, names, scorer=fuzz.WRatio, processor=utils.default_process,
                                limit=limit, score_cutoff=cutoff)
        return [name for name, _score, _i in found]

    def _to_result(self, row: dict[str, Any]) -> ResearchResult:
        updated = row.get("updated_at")
        return ResearchResult(
            company=row["company_name"], domain=row.get("domain"), industry=row.get("industry"),
            employees=row.get("employees"),
            employee_range=row.get("employee_range") or employee_bucket(row.get("employees")),
            funding_stage=row.get("funding_stage"), tech_stack=_split(row.get("tech_stack"), ","),
            headquarters=row.get("headquarters"), description=row.get("description"),
            recent_news=_split(row.get("recent_news"), "\n"),
            sources=[{"title": f"{row['company_name']} research", "url": row["source_url"]}] if row.get("source_url") else [],
            provider=self.name,
            total_funding=float(row["total_funding"]) if row.get("total_funding") is not None else None,
            founded_year=row.get("founded_year"),
            updated_at=updated.isoformat() if hasattr(updated, "isoformat") else updated,
        )


# -- http: a Tavily-style search API ----------------------------------------------------------------

TECH_NAMES = ("Snowflake", "Databricks", "BigQuery", "Redshift", "Firebolt", "ClickHouse", "dbt", "Looker",
              "Tableau", "Power BI", "Fivetran", "Airbyte", "Airflow", "Dagster", "Kafka", "Spark", "Flink",
              "PostgreSQL", "Postgres", "MySQL", "MongoDB", "Elasticsearch", "Redis", "Kubernetes", "Terraform",
              "AWS", "Azure", "GCP", "Google Cloud", "Salesforce", "HubSpot", "Segment", "Snowplow", "Metabase",
              "Sigma", "Hex", "Trino", "Presto", "Athena", "Synapse", "Oracle", "Teradata", "SAP", "Pinot", "Druid")
_TECH_RE = [(name, re.compile(r"(?<![\w-])" + re.escape(name) + r"(?![\w-])", re.I if len(name) > 3 else 0))
            for name in TECH_NAMES]
_TECH_CANON = {"Postgres": "PostgreSQL", "Google Cloud": "GCP"}

FUNDING_ORDER = ["Pre-Seed", "Seed", "Series A", "Series B", "Series C", "Series D", "Series E", "Series F",
                 "Series G", "Series H", "Private Equity", "Public"]
_FUNDING_RE = re.compile(r"\b(pre-seed|seed round|seed funding|series [a-h]\b|private equity|"
                         r"publicly traded|went public|ipo\b|nasdaq:|nyse:)", re.I)

INDUSTRIES = {
    "Financial Services": ("fintech", "financial services", "banking", "payments", "insurance", "insurtech"),
    "Healthcare": ("healthcare", "health tech", "healthtech", "medical", "biotech", "pharma"),
    "Retail & E-commerce": ("e-commerce", "ecommerce", "retail", "marketplace"),
    "AdTech & Marketing": ("adtech", "advertising", "martech", "marketing platform"),
    "Gaming": ("gaming", "video game", "game studio"),
    "Media": ("media company", "streaming", "publisher"),
    "Logistics": ("logistics", "supply chain", "shipping", "freight"),
    "Manufacturing": ("manufacturing", "industrial"),
    "Cybersecurity": ("cybersecurity", "security platform", "threat detection"),
    "Software": ("saas", "software", "platform", "cloud"),
}
_NEWS_RE = re.compile(r"\b(announces?|raises?|raised|launch(es|ed)?|partners?|partnership|acquires?|acquired|"
                      r"acquisition|appoints?|funding|expands?|news|press release)\b", re.I)
_RANGE_RE = re.compile(r"(\d[\d,]*)\s*(?:-|–|—|to)\s*(\d[\d,]*)\s+(?:employees|staff|people)", re.I)
_COUNT_RE = re.compile(r"(?:(?:over|more than|about|around|approximately|nearly)\s+)?(\d[\d,]*)\+?\s+"
                       r"(?:employees|staff members|people)", re.I)
_EMPLOYS_RE = re.compile(r"\bemploys\s+(?:over\s+|about\s+|around\s+)?(\d[\d,]*)", re.I)
_HQ_RE = re.compile(r"\b(?:headquartered|based|HQ'd|head office is)\s+in\s+((?:St\.\s+)?[A-Z][\w'-]*"
                    r"(?:(?:,\s*|\s+)(?:St\.\s+)?[A-Z][\w'-]*){0,3})")
_FOUNDED_RE = re.compile(r"\bfounded in (\d{4})\b", re.I)


def _int(s: str) -> int | None:
    try:
        return int(s.replace(",", ""))
    except ValueError:
        return None


def extract(company: str, response: dict[str, Any], provider: str = "http") -> ResearchResult | None:
    """Firmographics from a search answer. Heuristic on purpose: a short, explainable set of patterns."""
    results = [r for r in (response.get("results") or []) if isinstance(r, dict)]
    if not results and not response.get("answer"):
        return None
    answer = str(response.get("answer") or "")
    texts = [answer] + [f"{r.get('title', '')}. {r.get('content', '')}" for r in results]
    blob = "\n".join(t for t in texts if t)
    urls = " ".join(str(r.get("url") or "") for r in results)
    if not (names_the_company(company, blob) or names_the_company(company, urls.replace(".", " "))):
        return None                    # results about other companies: not a profile of this one

    # the company's own spelling, if the results use one
    m = re.search(re.escape(company), blob, re.I)
    name = m.group(0) if m and m.group(0) != m.group(0).lower() else company

    employees, employee_range = None, None
    if (m := _RANGE_RE.search(blob)):
        lo, hi = _int(m.group(1)), _int(m.group(2))
        if lo is not None and hi is not None and lo < hi:
            employee_range = f"{lo}-{hi}"
    if (m := _COUNT_RE.search(blob) or _EMPLOYS_RE.search(blob)):
        employees = _int(m.group(1))
    if employee_range is None:
        employee_range = employee_bucket(employees)

    funding = None
    for m in _FUNDING_RE.finditer(blob):
        word = m.group(1).lower()
        stage = ("Public" if word in ("publicly traded", "went public", "ipo", "nasdaq:", "nyse:") else
                 "Seed" if word.startswith("seed") else "Pre-Seed" if word == "pre-seed" else
                 "Private Equity" if word == "private equity" else "Series " + word[-1].upper())
        if funding is None or FUNDING_ORDER.index(stage) > FUNDING_ORDER.index(funding):
            funding = stage

    found: list[tuple[int, str]] = []
    for tech, rx in _TECH_RE:
        if (m := rx.search(blob)):
            canon = _TECH_CANON.get(tech, tech)
            if canon not in [t for _, t in found]:
                found.append((m.start(), canon))
    tech_stack = [t for _, t in sorted(found)]

    lower = blob.lower()
    scores = {ind: sum(lower.count(k) for k in keys) for ind, keys in INDUSTRIES.items()}
    industry = max(scores, key=lambda k: scores[k]) if any(scores.values()) else None

    hq = None
    if (m := _HQ_RE.search(blob)):
        hq = re.split(r"\s+(?:and|with|where|since|that)\b", m.group(1))[0].strip(" ,.")

    token = re.sub(r"[^a-z0-9]", "", company.lower().split()[0]) if company.split() else ""
    domain = None
    for r in results:
        host = (urlsplit(str(r.get("url", ""))).hostname or "").lower()
        host = host[4:] if host.startswith("www.") else host
        if token and token in host.replace("-", ""):
            domain = host
            break

    description = answer.strip() or None
    if description is None and results:
        content = " ".join(str(results[0].get("content", "")).split())
        sentences = re.split(r"(?<=[.!?])\s+", content)
        description = " ".join(sentences[:2])[:400] or None

    news = [str(r.get("title")).strip() for r in results
            if r.get("title") and _NEWS_RE.search(f"{r.get('title')} {r.get('url', '')}")][:5]
    founded = _FOUNDED_RE.search(blob)
    return ResearchResult(
        company=name, domain=domain, industry=industry, employees=employees, employee_range=employee_range,
        funding_stage=funding, tech_stack=tech_stack, headquarters=hq, description=description,
        recent_news=news, sources=[{"title": str(r.get("title") or r.get("url")), "url": str(r.get("url"))}
                                   for r in results if r.get("url")],
        provider=provider, founded_year=int(founded.group(1)) if founded else None)


class HttpSearchProvider:
    name = "http"

    def __init__(self, url: str | None, api_key: str | None, cache: Any, http_client: Any = None, *,
                 mode: str = "online", ttl_s: float = 7 * 24 * 3600, timeout_s: float = 15.0, max_results: int = 5):
        self.url = url or DEFAULT_SEARCH_URL
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"search.url {self.url!r} is not an http(s) URL", "fix search.url in revops.yaml")
        if not api_key and mode != "offline":
            raise ConfigError("the search provider needs an API key: REVOPS_SEARCH_API_KEY is not set",
                              "set it (or search.api_key), or use search.provider: offline")
        self.host = url_host(self.url)        # never a user:password@ of the URL
        self.source = f"search:{self.host}"
        self._api_key = api_key
        self.cache = cache
        self.http_client = http_client
        self.mode = mode
        self.ttl_s = ttl_s
        self.timeout_s = timeout_s
        self.max_results = max_results
        self.last_cached: bool | None = None

    def __repr__(self) -> str:           # never the key
        return f"HttpSearchProvider(url={self.url!r}, mode={self.mode!r})"

    def request_body(self, company: str) -> dict[str, Any]:
        query = f"{company} company profile: industry, employees, funding, headquarters, tech stack, news"
        return {"query": query, "max_results": self.max_results, "search_depth": "basic"}

    def _cache_sql(self, body: dict[str, Any]) -> str:
        return "POST " + self.url.split("?")[0] + " " + json.dumps(body, sort_keys=True)

    def research(self, company: str) -> ResearchResult | None:
        from revops_cli.warehouse.cache import age_seconds, cache_key

        self.last_cached = None
        company = " ".join(str(company).split())
        if not company:
            return None
        body = self.request_body(company)
        sql = self._cache_sql(body)
        params = [company.lower()]
        if self.cache is not None and self.mode != "refresh":
            entry = self.cache.get(cache_key(NAMESPACE, self.source, sql, params))
            if entry is not None and (self.mode == "offline" or age_seconds(entry) <= self.ttl_s):
                self.last_cached = True
                return extract(company, json.loads(entry.payload).get("response") or {}, self.name)
        if self.mode == "offline":
            raise OfflineMissError(f"--offline: no cached research for {company!r} from {self.host}",
                                   "run it once online, without --offline, to cache it")
        response = self._call(body)
        self.last_cached = False
        if self.cache is not None:
            self.cache.put(NAMESPACE, self.source, sql, params,
                           json.dumps({"company": company, "response": response}, default=json_default),
                           len(response.get("results") or []))
        return extract(company, response, self.name)

    def _call(self, body: dict[str, Any]) -> dict[str, Any]:
        import httpx

        if not self._api_key:
            raise ConfigError("the search provider needs an API key: REVOPS_SEARCH_API_KEY is not set",
                              "set it (or search.api_key), or use search.provider: offline")
        from revops_cli.connectors.addresses import check_outbound_url

        check_outbound_url(self.url, "search.url")      # never a metadata or link-local address
        client = self.http_client or httpx.Client(timeout=self.timeout_s, follow_redirects=False)
        headers = {"Authorization": f"Bearer {self._api_key}", "Content-Type": "application/json",
                   "User-Agent": "revops-research/1"}
        try:
            resp = client.post(self.url, json=body, headers=headers, timeout=self.timeout_s)
        except httpx.TimeoutException:
            raise ActionError(f"the search provider at {self.host} did not answer within {self.timeout_s:g} s",
                              "try again, or use search.provider: offline") from None
        except httpx.HTTPError as exc:
            raise ActionError(f"cannot reach the search provider at {self.host} ({type(exc).__name__})",
                              "check search.url and the network") from None
        finally:
            if self.http_client is None:
                client.close()
        if resp.status_code in (401, 403):
            raise ActionError("search provider refused the API key", "check REVOPS_SEARCH_API_KEY")
        if resp.status_code == 429:
            raise ActionError("the search provider rate-limited the request", "try again in a minute")
        if resp.status_code >= 400:
            raise ActionError(f"the search provider at {self.host} answered HTTP {resp.status_code}",
                              "try again later, or use search.provider: offline")
        try:
            data = resp.json()
        except ValueError:
            raise ActionError(f"the search provider at {self.host} did not answer JSON", "check search.url") from None
        if not isinstance(data, dict):
            raise ActionError(f"the search provider at {self.host} answered an unexpected shape", "check search.url")
        return data


def provider_from_settings(settings: Any, warehouse: Any) -> SearchProvider:
    kind = str(settings.get("search.provider") or "offline").lower()
    if kind == "offline":
        return OfflineProvider(warehouse, settings)
    if kind in ("http", "tavily"):
        return HttpSearchProvider(settings.get("search.url"), settings.get("search.api_key"),
                                  getattr(warehouse, "cache", None), mode=getattr(warehouse, "mode", "online"),
                                  ttl_s=max(settings.cache.ttl_seconds, 24 * 3600))
    raise ConfigError(f"unknown search provider {kind!r}", "use search.provider: offline or http")
