"""The demo warehouse: a realistic, deterministic RevOps data set in one DuckDB file.

`generate(path, scale=1.0, seed=42, as_of=date)` builds every table of schema.sql and returns row counts.

How it is built
- The bulk (companies, accounts, opportunities, stage history, contacts, leads, usage, billing, company
  research) is generated set-based inside DuckDB: `range()` rows, `hash(seed, row, salt)` pseudo-random
  numbers and list lookups over word pools. No Python loop touches bulk rows, so scale 1000
  (about a million opportunities) stays fast.
- Users, the named examples of the reference system and the calls (multi-turn transcripts built from
  phrase templates) are made in Python with `random.Random(seed)`.
- Everything is a pure function of (scale, seed, as_of): the same triple always gives identical tables.
  A different seed changes the numbers and the generic names, never the named examples.
- All dates are relative to `as_of`: 8 full calendar quarters of history before the current quarter
  (closed deals, billing), the current quarter, and the next quarter (open deals close in the current or
  next quarter; a few are overdue). Usage covers the last USAGE_DAYS days up to as_of.
- The file is written next to `path` under a temporary name and moved into place with `os.replace`,
  so a reader never sees half a warehouse.

Sizes at scale s (about): 300*s accounts, 1000*s opportunities (~3.5 stage-history rows each),
1500*s contacts, 600*s leads, customers ~40% of accounts with daily usage and monthly billing.
Users and calls grow sublinearly: users ~ 40*sqrt(s), calls ~ 300*s for s <= 1 and 300*sqrt(s) above
(calls go to a sample weighted towards open late-stage deals, plus ~10% lead discovery calls).
Above scale 100 usage covers 90 days instead of 180 to keep the file small and generation fast.

Gaps, as real CRMs and enrichment have them: about 4% of generated leads have no title (nor seniority or
department); on lead-only companies research misses the tech stack for ~12% and the head count for
~8% (the lead then has none either). Accounts' research and the named examples are complete.

Named examples (same for every seed): IXIS Technologies / "IXIS - Snowflake Cost Replacement"
(Negotiate, $2.1M, owner Sarah Johnson, CFO approval slipping, legal review, +$500K use cases),
DataCorp (customer, "DataCorp Expansion") and lead John Smith (VP of Data Engineering, DataCorp),
TechCorp ("TechCorp - Platform Evaluation", contact Sara Johnston), Acme Corp ("Acme Corp - Analytics
Platform", last call mentions Databricks and Snowflake), Microsoft ("Microsoft Enterprise"), TechFlow
("TechFlow Migration"), lead Michael Chen (Enterprise Solutions), lead Lisa Wang (CloudTech, which is
only in company_research).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from pathlib import Path
from typing import Any, Callable

from revops_cli.warehouse.firmographics import employee_range, employee_range_sql

VENDOR = "Firebolt"                 # the selling company in transcripts and participant lists
VENDOR_DOMAIN = "firebolt.io"

STAGES: dict[str, int] = {
    "Discovery": 10,
    "Qualification": 20,
    "Technical Validation": 40,
    "Business Justification": 60,
    "Negotiate": 75,
    "Closed Won": 100,
    "Closed Lost": 0,
}
OPEN_STAGES: tuple[str, ...] = tuple(s for s in STAGES if not s.startswith("Closed"))
CLOSED_STAGES: tuple[str, ...] = ("Closed Won", "Closed Lost")

# Allowed forecast categories per stage; the first is the usual one.
FORECAST_CATEGORIES: dict[str, tuple[str, ...]] = {
    "Discovery": ("Pipeline",),
    "Qualification": ("Pipeline",),
    "Technical Validation": ("Pipeline", "Best Case"),
    "Business Justification": ("Best Case", "Commit"),
    "Negotiate": ("Commit", "Best Case"),
    "Closed Won": ("Closed",),
    "Closed Lost": ("Omitted",),
}

SEGMENTS: tuple[str, ...] = ("SMB", "Mid-Market", "Enterprise")
REGIONS: tuple[str, ...] = ("NA", "EMEA", "APAC", "LATAM")
COMPETITORS: tuple[str, ...] = ("Snowflake", "Databricks", "BigQuery", "Redshift", "ClickHouse")
MEDDPICC_STATUSES: tuple[str, ...] = ("Unknown", "Identified", "Validated", "Leveraged")
MEDDPICC_FIELDS: tuple[str, ...] = ("metrics", "economic_buyer", "identify_pain", "champion", "decision_criteria",
                                    "competition", "decision_making_process", "paper_process")
OPPORTUNITY_TYPES: tuple[str, ...] = ("New Business", "Expansion", "Renewal")
ACCOUNT_TYPES: tuple[str, ...] = ("customer", "prospect", "churned")
LEAD_SOURCES: tuple[str, ...] = ("Website", "Webinar", "Event", "Outbound", "Referral", "Partner", "Paid Search")
OPPORTUNITY_SOURCES: tuple[str, ...] = LEAD_SOURCES + ("Existing Customer",)
LEAD_STATUSES: tuple[str, ...] = ("New", "Working", "MQL", "SQL", "Disqualified", "Converted")
USER_ROLES: tuple[str, ...] = ("AE", "SDR", "CSM", "Sales Manager")
SENIORITIES: tuple[str, ...] = ("C-Level", "VP", "Director", "Manager", "Individual Contributor")
PLANS: dict[str, str] = {"SMB": "Starter", "Mid-Market": "Growth", "Enterprise": "Enterprise"}
USAGE_TRENDS: tuple[str, ...] = ("stable", "growing", "declining")
INDUSTRIES: tuple[str, ...] = ("Software", "Financial Services", "Healthcare", "Retail", "Media", "Manufacturing",
                               "Logistics", "Energy", "Telecommunications", "Insurance", "Education", "Travel",
                               "Professional Services")
USAGE_DAYS = 180

# ---------------------------------------------------------------------------------------------- word pools
# Generic company names never contain the words of the named examples (Data, Tech, Corp, Cloud, Flow,
# Solutions, Acme, IXIS), so fuzzy name lookups of the named examples stay unambiguous.
_NAME_PREFIXES = (
    "Nimbus", "Quartz", "Vertex", "Harbor", "Summit", "Pioneer", "Bluebird", "Cobalt", "Evergreen", "Falcon",
    "Granite", "Helix", "Ionic", "Juniper", "Keystone", "Lumen", "Meridian", "Northwind", "Orion", "Pinnacle",
    "Quanta", "Redwood", "Sable", "Tidal", "Umbra", "Vantage", "Willow", "Xenon", "Yarrow", "Zephyr",
    "Aurora", "Beacon", "Cascade", "Delta", "Ember", "Fjord", "Glacier", "Horizon", "Indigo", "Jasper",
    "Kestrel", "Lighthouse", "Maple", "Nova", "Onyx", "Prairie", "Quill", "Raven", "Sierra", "Tundra",
    "Upland", "Velvet", "Wren", "Yonder", "Zenith", "Atlas", "Bramble", "Cedar", "Driftwood", "Everest",
    "Foxglove", "Garnet", "Hawthorn", "Iris", "Jade", "Kinetic", "Larch", "Mosaic", "Nautilus", "Oakridge",
    "Pelican", "Quarry", "Ridgeline", "Saffron", "Thistle", "Unity", "Voyager", "Wildrose", "Apex", "Birch",
    "Condor", "Dune", "Elm", "Fathom", "Gale", "Heron", "Inlet", "Jetty", "Kelp", "Lark",
    "Magnolia", "Nightjar", "Osprey", "Pebble", "Quest", "Rook", "Spruce", "Tern", "Vireo", "Wharf",
    "Alder", "Basalt", "Coral", "Dover", "Estuary", "Flint", "Grove", "Halcyon", "Ivory", "Juno",
    "Kodiak", "Lagoon", "Mistral", "Neon", "Obsidian", "Paragon", "Rapids", "Solstice", "Topaz", "Verdant",
)
_NAME_CORES = (  # (word, industry)
    ("Software", "Software"), ("Systems", "Software"), ("Labs", "Software"), ("Digital", "Software"),
    ("Apps", "Software"), ("Analytics", "Software"), ("Security", "Software"),
    ("Financial", "Financial Services"), ("Capital", "Financial Services"), ("Payments", "Financial Services"),
    ("Lending", "Financial Services"), ("Health", "Healthcare"), ("Bio", "Healthcare"), ("Medical", "Healthcare"),
    ("Care", "Healthcare"), ("Retail", "Retail"), ("Market", "Retail"), ("Commerce", "Retail"), ("Goods", "Retail"),
    ("Media", "Media"), ("Studios", "Media"), ("Games", "Media"), ("Industries", "Manufacturing"),
    ("Manufacturing", "Manufacturing"), ("Robotics", "Manufacturing"), ("Motors", "Manufacturing"),
    ("Logistics", "Logistics"), ("Freight", "Logistics"), ("Shipping", "Logistics"), ("Mobility", "Logistics"),
    ("Energy", "Energy"), ("Power", "Energy"), ("Solar", "Energy"), ("Networks", "Telecommunications"),
    ("Telecom", "Telecommunications"), ("Wireless", "Telecommunications"), ("Insurance", "Insurance"),
    ("Assurance", "Insurance"), ("Mutual", "Insurance"), ("Learning", "Education"), ("Education", "Education"),
    ("Academy", "Education"), ("Travel", "Travel"), ("Hospitality", "Travel"), ("Voyages", "Travel"),
    ("Consulting", "Professional Services"), ("Advisory", "Professional Services"), ("Partners", "Professional Services"),
    ("Foods", "Retail"), ("Pharma", "Healthcare"),
)
_NAME_SUFFIXES = ("", "Inc", "Group", "Co", "Holdings", "International", "Global", "LLC", "Ltd", "Ventures")

_FIRST_NAMES = (
    "James", "Mary", "Robert", "Patricia", "Daniel", "Jennifer", "William", "Linda", "Richard", "Elizabeth",
    "Joseph", "Barbara", "Thomas", "Susan", "Charles", "Jessica", "Christopher", "Karen", "Matthew", "Nancy",
    "Anthony", "Betty", "Mark", "Margaret", "Donald", "Sandra", "Steven", "Ashley", "Paul", "Kimberly",
    "Andrew", "Donna", "Joshua", "Michelle", "Kenneth", "Carol", "Kevin", "Amanda", "Brian", "Melissa",
    "George", "Deborah", "Timothy", "Stephanie", "Ronald", "Rebecca", "Jason", "Laura", "Edward", "Sharon",
    "Ryan", "Cynthia", "Jacob", "Kathleen", "Gary", "Amy", "Nicholas", "Angela", "Eric", "Shirley",
    "Aisha", "Hiroshi", "Ingrid", "Mateo", "Yuki", "Fatima", "Lars", "Chloe", "Arjun", "Zara",
    "Noah", "Olivia", "Liam", "Emma", "Ethan", "Ava", "Lucas", "Mia", "Mason", "Harper",
)
# No last name of a named person (Johnson, Smith, Chen, Wang, Johnston, Lee, Kim, ...) is in this pool.
_LAST_NAMES = (
    "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez", "Hernandez", "Lopez",
    "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Thompson", "White",
    "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King",
    "Wright", "Scott", "Torres", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
    "Rivera", "Campbell", "Mitchell", "Roberts", "Phillips", "Evans", "Turner", "Diaz", "Parker", "Cruz",
    "Edwards", "Collins", "Reyes", "Stewart", "Morris", "Murphy", "Cook", "Rogers", "Peterson", "Cooper",
    "Bailey", "Bell", "Howard", "Ward", "Cox", "Richardson", "Wood", "Watson", "Bennett", "Gray",
    "Mendoza", "Ruiz", "Hughes", "Price", "Sanders", "Myers", "Long", "Ross", "Yamamoto", "Schmidt",
    "Novak", "Larsen", "Dubois", "Kowalski", "Okafor", "Silva", "Tanaka", "Ivanova", "Fischer", "Costa",
)
_TITLES = (  # (title, department, seniority)
    ("Chief Data Officer", "Executive", "C-Level"), ("CTO", "Executive", "C-Level"), ("CFO", "Finance", "C-Level"),
    ("CIO", "IT", "C-Level"), ("VP of Data Engineering", "Data", "VP"), ("VP of Engineering", "Engineering", "VP"),
    ("VP of Analytics", "Data", "VP"), ("VP of Finance", "Finance", "VP"), ("VP of IT", "IT", "VP"),
    ("Director of Data Engineering", "Data", "Director"), ("Director of Analytics", "Data", "Director"),
    ("Director of Platform Engineering", "Engineering", "Director"), ("Head of Data", "Data", "Director"),
    ("Director of IT", "IT", "Director"), ("Director of Procurement", "Procurement", "Director"),
    ("Data Engineering Manager", "Data", "Manager"), ("Analytics Manager", "Data", "Manager"),
    ("Engineering Manager", "Engineering", "Manager"), ("BI Manager", "Data", "Manager"),
    ("Senior Data Engineer", "Data", "Individual Contributor"), ("Data Engineer", "Data", "Individual Contributor"),
    ("Analytics Engineer", "Data", "Individual Contributor"), ("Data Architect", "Data", "Individual Contributor"),
    ("Staff Software Engineer", "Engineering", "Individual Contributor"),
    ("Senior Data Analyst", "Data", "Individual Contributor"), ("Security Engineer", "IT", "Individual Contributor"),
)
_HQ = {
    "NA": ("San Francisco, CA", "New York, NY", "Austin, TX", "Boston, MA", "Seattle, WA", "Chicago, IL",
           "Denver, CO", "Toronto, Canada", "Atlanta, GA"),
    "EMEA": ("London, UK", "Berlin, Germany", "Paris, France", "Amsterdam, Netherlands", "Tel Aviv, Israel",
             "Stockholm, Sweden", "Dublin, Ireland", "Madrid, Spain"),
    "APAC": ("Singapore", "Sydney, Australia", "Tokyo, Japan", "Bangalore, India", "Seoul, South Korea"),
    "LATAM": ("São Paulo, Brazil", "Mexico City, Mexico", "Buenos Aires, Argentina", "Bogotá, Colombia"),
}

_NAMED_ACCOUNTS = ("IXIS Technologies", "DataCorp", "TechCorp", "Acme Corp", "Microsoft", "TechFlow",
                   "Enterprise Solutions")


# ---------------------------------------------------------------------------------------------- dates
def _quarter_start(d: dt.date) -> dt.date:
    return dt.date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


def _add_months(d: dt.date, n: int) -> dt.date:
    m = d.month - 1 + n
    return dt.date(d.year + m // 12, m % 12 + 1, 1)


def _quarter_label(d: dt.date) -> str:
    return f"{d.year}-Q{(d.month - 1) // 3 + 1}"


def _spoken_quarter(d: dt.date) -> str:
    return f"Q{(d.month - 1) // 3 + 1} {d.year}"


def _lit(v: Any) -> str:
    """A SQL literal for the few Python values spliced into generated SQL (dates, numbers, word lists)."""
    if isinstance(v, dt.date):
        return f"DATE '{v.isoformat()}'"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_lit(x) for x in v) + "]"
    if isinstance(v, str):
        return "'" + v.replace("'", "''") + "'"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    return repr(v)


class _Ctx:
    def __init__(self, scale: float, seed: int, as_of: dt.date):
        self.scale, self.seed, self.as_of = scale, seed, as_of
        self.q_start = _quarter_start(as_of)
        self.q_end = _add_months(self.q_start, 3) - dt.timedelta(days=1)
        self.nq_start = _add_months(self.q_start, 3)
        self.nq_end = _add_months(self.q_start, 6) - dt.timedelta(days=1)
        self.hist_start = _add_months(self.q_start, -24)
        self.week_start = as_of - dt.timedelta(days=as_of.weekday())
        self.n_accounts = max(30, round(300 * scale))
        self.n_opps = max(60, round(1000 * scale))
        self.n_contacts = max(60, round(1500 * scale))
        self.n_leads = max(40, round(600 * scale))
        self.usage_days = USAGE_DAYS if scale <= 100 else 90
        self.n_call_deals = max(12, round(110 * scale)) if scale <= 1 else round(110 * math.sqrt(scale))
        self.rng = random.Random(f"revops-demo:{seed}")

    def q_close(self, days_after: int) -> dt.date:
        """A date `days_after` as_of, clamped to the current quarter's end."""
        return min(self.as_of + dt.timedelta(days=days_after), self.q_end)


# ---------------------------------------------------------------------------------------------- helpers
def _insert(con, table: str, columns: list[str], rows: list[tuple]) -> None:
    """Insert Python rows with multi-row VALUES statements (much faster than executemany)."""
    if not rows:
        return
    ph = "(" + ", ".join("?" * len(columns)) + ")"
    cols = ", ".join(columns)
    chunk = max(1, 2000 // len(columns))
    for start in range(0, len(rows), chunk):
        part = rows[start:start + chunk]
        params = [v for r in part for v in r]
        con.execute(f"INSERT INTO {table} ({cols}) VALUES " + ", ".join([ph] * len(part)), params)


def _person_names(rng: random.Random, n: int, taken: set[str]) -> list[tuple[str, str]]:
    out = []
    while len(out) < n:
        first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
        full = f"{first} {last}"
        if full in taken:
            continue
        taken.add(full)
        out.append((first, last))
    return out


def _email(first: str, last: str, domain: str) -> str:
    clean = lambda s: "".join(ch for ch in s.lower() if ch.isalnum())  # noqa: E731
    return f"{clean(first)}.{clean(last)}@{domain}"


# ---------------------------------------------------------------------------------------------- users
_NAMED_USERS = (  # user_id, first, last, role, team, region, manager_id
    ("USR-0001", "Sarah", "Johnson", "AE", "Enterprise", "NA", "USR-0004"),
    ("USR-0002", "Marcus", "Reed", "AE", "Mid-Market", "NA", "USR-0005"),
    ("USR-0003", "Priya", "Patel", "AE", "Enterprise", "NA", "USR-0004"),
    ("USR-0004", "Tom", "Becker", "Sales Manager", "Enterprise", "NA", None),
    ("USR-0005", "Elena", "Rossi", "Sales Manager", "Mid-Market", "NA", None),
    ("USR-0006", "Kevin", "O'Brien", "Sales Manager", "SMB", "NA", None),
    ("USR-0007", "Nina", "Alvarez", "CSM", "Mid-Market", "NA", "USR-0005"),
    ("USR-0008", "Jordan", "Blake", "SDR", "Mid-Market", "NA", "USR-0005"),
)
_MANAGER_OF = {"Enterprise": "USR-0004", "Mid-Market": "USR-0005", "SMB": "USR-0006"}


def _users(ctx: _Ctx, taken: set[str]) -> list[tuple]:
    f = max(1.0, math.sqrt(ctx.scale))
    want = {("AE", "Enterprise"): round(5 * f), ("AE", "Mid-Market"): round(6 * f), ("AE", "SMB"): round(6 * f),
            ("CSM", "Enterprise"): round(3 * f), ("CSM", "Mid-Market"): round(3 * f), ("CSM", "SMB"): round(2 * f),
            ("SDR", "Enterprise"): round(2 * f), ("SDR", "Mid-Market"): round(3 * f), ("SDR", "SMB"): round(3 * f)}
    for _, _, _, role, team, _, _ in _NAMED_USERS:
        if (role, team) in want:
            want[(role, team)] -= 1
    rows = [(uid, f"{fi} {la}", _email(fi, la, VENDOR_DOMAIN), role, team, reg, mgr, None)
            for uid, fi, la, role, team, reg, mgr in _NAMED_USERS]
    n = len(rows)
    regions = ("NA", "NA", "NA", "EMEA", "EMEA", "APAC", "LATAM")
    for (role, team), k in want.items():
        for first, last in _person_names(ctx.rng, max(0, k), taken):
            n += 1
            rows.append((f"USR-{n:04d}", f"{first} {last}", _email(first, last, VENDOR_DOMAIN), role, team,
                         regions[n % len(regions)], _MANAGER_OF[team], None))
    out = []
    for r in rows:
        slack = "U" + "".join(ctx.rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(9))
        out.append(r[:7] + (slack,))
    return out


# ---------------------------------------------------------------------------------------------- named examples
_NAMED_PEOPLE = {  # account name -> [(first, last, title, department, seniority)]
    "IXIS Technologies": [("Raj", "Mehta", "VP of Data Platform", "Data", "VP"),
                          ("Dana", "Lee", "CFO", "Finance", "C-Level"),
                          ("Emily", "Carter", "Director of Procurement", "Procurement", "Director"),
                          ("Tom", "Nguyen", "Head of Security", "IT", "Director"),
                          ("Alicia", "Gomez", "Senior Counsel", "Legal", "Manager")],
    "DataCorp": [("Ben", "Ortiz", "Head of Analytics", "Data", "Director"),
                 ("Megan", "Cho", "VP of Finance", "Finance", "VP"),
                 ("Leo", "Hale", "Staff Data Engineer", "Data", "Individual Contributor")],
    "TechCorp": [("Sara", "Johnston", "Director of Analytics", "Data", "Director"),
                 ("Victor", "Hale", "CTO", "Executive", "C-Level")],
    "Acme Corp": [("Laura", "Kim", "Director of Data Engineering", "Data", "Director"),
                  ("Greg", "Foster", "CFO", "Finance", "C-Level"),
                  ("Omar", "Haddad", "Staff Data Engineer", "Data", "Individual Contributor")],
    "Microsoft": [("Anita", "Desai", "Principal Group Program Manager", "Engineering", "Director"),
                  ("Chris", "Morgan", "General Manager of Data Platform", "Executive", "VP")],
    "TechFlow": [("Lukas", "Weber", "VP of Engineering", "Engineering", "VP"),
                 ("Sofia", "Marin", "Finance Director", "Finance", "Director")],
    "Enterprise Solutions": [("Hannah", "Brooks", "Director of IT", "IT", "Director")],
}
_RESERVED_NAMES = {"Sarah Johnson", "John Smith", "Michael Chen", "Lisa Wang", "Sara Johnston"} | {
    f"{p[0]} {p[1]}" for people in _NAMED_PEOPLE.values() for p in people} | {
    f"{u[1]} {u[2]}" for u in _NAMED_USERS}


def _named_companies(ctx: _Ctx) -> list[dict[str, Any]]:
    """Firmographics of the named companies; the first len(_NAMED_ACCOUNTS) are accounts, CloudTech is not."""
    y = ctx.as_of.year
    a = ctx.as_of
    return [
        dict(name="IXIS Technologies", domain="ixis.io", industry="Software", segment="Enterprise", region="NA",
             employees=4200, annual_revenue=910_000_000.0, funding_stage="Private", total_funding=None,
             headquarters="San Jose, CA", founded_year=y - 14,
             tech_stack="Snowflake,dbt,Airflow,Looker,Kafka",
             description="IXIS Technologies builds digital experience analytics for large retailers and media "
                         "companies. Its product serves interactive dashboards to thousands of customer users, "
                         "backed by a multi-petabyte Snowflake warehouse.",
             recent_news=f"IXIS Technologies announces {y} cost-efficiency programme across engineering\n"
                         "IXIS Technologies launches real-time customer journey analytics\n"
                         "IXIS Technologies appoints Dana Lee as CFO"),
        dict(name="DataCorp", domain="datacorp.io", industry="Software", segment="Mid-Market", region="NA",
             employees=350, annual_revenue=62_000_000.0, funding_stage="Series B", total_funding=48_000_000.0,
             headquarters="Austin, TX", founded_year=y - 8, tech_stack="Snowflake,dbt,Fivetran,Looker",
             description="DataCorp provides a customer data platform for mid-size B2C brands. Its data "
                         "engineering team runs Snowflake and dbt and is building real-time analytics features.",
             recent_news="DataCorp raises $40M Series B to expand its customer data platform\n"
                         "DataCorp hires 60 engineers and opens a second office in Denver\n"
                         "DataCorp launches real-time segmentation for e-commerce brands"),
        dict(name="TechCorp", domain="techcorp.com", industry="Software", segment="Mid-Market", region="NA",
             employees=1200, annual_revenue=240_000_000.0, funding_stage="Series D", total_funding=210_000_000.0,
             headquarters="Seattle, WA", founded_year=y - 12, tech_stack="Redshift,Airflow,Tableau",
             description="TechCorp sells IT service management software to mid-market companies and is "
                         "replacing its Redshift cluster to support embedded analytics for customers.",
             recent_news="TechCorp introduces embedded analytics for its service desk product\n"
                         "TechCorp names new Chief Technology Officer"),
        dict(name="Acme Corp", domain="acmecorp.com", industry="Retail", segment="Mid-Market", region="NA",
             employees=900, annual_revenue=410_000_000.0, funding_stage="Private", total_funding=None,
             headquarters="Chicago, IL", founded_year=y - 31, tech_stack="Postgres,Snowflake,dbt,Tableau",
             description="Acme Corp is an omnichannel retailer of home goods with 120 stores. Its analytics "
                         "team is consolidating store, web and supply-chain reporting on one platform.",
             recent_news="Acme Corp reports record holiday e-commerce sales\n"
                         "Acme Corp announces supply-chain analytics initiative"),
        dict(name="Microsoft", domain="microsoft.com", industry="Software", segment="Enterprise", region="NA",
             employees=221000, annual_revenue=245_000_000_000.0, funding_stage="Public", total_funding=None,
             headquarters="Redmond, WA", founded_year=1975, tech_stack="Databricks,Power BI,Kafka",
             description="Microsoft is a global technology company. One of its product groups is evaluating a "
                         "low-latency analytics engine for internal telemetry dashboards.",
             recent_news="Microsoft reports quarterly cloud revenue growth\n"
                         "Microsoft expands AI infrastructure investment"),
        dict(name="TechFlow", domain="techflow.io", industry="Logistics", segment="Mid-Market", region="EMEA",
             employees=650, annual_revenue=120_000_000.0, funding_stage="Series C", total_funding=95_000_000.0,
             headquarters="Amsterdam, Netherlands", founded_year=y - 9, tech_stack="Redshift,dbt,Metabase",
             description="TechFlow runs a freight-visibility platform for European shippers and is migrating "
                         "its analytics off Redshift to cut latency for customer-facing tracking dashboards.",
             recent_news="TechFlow raises $45M Series C\nTechFlow expands into the Nordics"),
        dict(name="Enterprise Solutions", domain="enterprisesolutions.com", industry="Professional Services",
             segment="Enterprise", region="NA", employees=5500, annual_revenue=1_300_000_000.0,
             funding_stage="Private", total_funding=None, headquarters="New York, NY", founded_year=y - 27,
             tech_stack="BigQuery,Airflow,Looker",
             description="Enterprise Solutions is an IT consulting and managed-services firm that builds "
                         "analytics platforms for large clients.",
             recent_news="Enterprise Solutions launches a data & AI practice\n"
                         "Enterprise Solutions acquires a cloud consultancy"),
        dict(name="CloudTech", domain="cloudtech.ai", industry="Software", segment="SMB", region="APAC",
             employees=180, annual_revenue=25_000_000.0, funding_stage="Series A", total_funding=22_000_000.0,
             headquarters="Singapore", founded_year=y - 5, tech_stack="BigQuery,dbt,Looker,Kafka",
             description="CloudTech builds usage-based billing analytics for SaaS companies in Southeast Asia. "
                         "Its product runs customer-facing dashboards on BigQuery.",
             recent_news=f"CloudTech raises $18M Series A led by regional VC\n"
                         f"CloudTech opens Sydney office\n"
                         f"CloudTech launches real-time usage dashboards ({a:%B %Y})"),
    ]


def _named_accounts(ctx: _Ctx) -> list[tuple]:
    comps = {c["name"]: c for c in _named_companies(ctx)}
    a, hs = ctx.as_of, ctx.hist_start
    d = dt.timedelta
    spec = {  # name -> (account_type, potential_spend, owner, csm, created, customer_since)
        "IXIS Technologies": ("prospect", 2_600_000.0, "USR-0001", None, hs - d(days=150), None),
        "DataCorp": ("customer", 1_400_000.0, "USR-0002", "USR-0007", hs - d(days=120), a - d(days=400)),
        "TechCorp": ("prospect", 500_000.0, "USR-0002", None, hs - d(days=90), None),
        "Acme Corp": ("prospect", 650_000.0, "USR-0002", None, hs - d(days=60), None),
        "Microsoft": ("prospect", 3_000_000.0, "USR-0003", None, hs - d(days=300), None),
        "TechFlow": ("prospect", 800_000.0, "USR-0002", None, hs - d(days=30), None),
        "Enterprise Solutions": ("prospect", 1_200_000.0, "USR-0003", None, hs - d(days=10), None),
    }
    rows = []
    for i, name in enumerate(_NAMED_ACCOUNTS, start=1):
        c = comps[name]
        typ, spend, owner, csm, created, since = spec[name]
        rows.append((f"ACC-{i:06d}", name, c["domain"], c["industry"], c["segment"], c["region"], c["employees"],
                     c["annual_revenue"], typ, c["tech_stack"], c["funding_stage"], spend, owner, csm, created,
                     since, None))
    return rows


ACCOUNT_COLUMNS = ["account_id", "name", "domain", "industry", "segment", "region", "employees", "annual_revenue",
                   "account_type", "tech_stack", "funding_stage", "potential_spend", "owner_id", "csm_id",
                   "created_date", "customer_since", "churned_date"]
OPP_COLUMNS = ["opportunity_id", "name", "account_id", "type", "stage", "amount", "probability",
               "forecast_category", "close_date", "created_date", "owner_id", "lead_source", "next_step",
               "competitors", "is_closed", "is_won", "last_activity_date"] + [
    c for f in MEDDPICC_FIELDS for c in (f, f + "_status")]
HISTORY_COLUMNS = ["opportunity_id", "changed_at", "from_stage", "to_stage", "days_in_stage", "old_close_date",
                   "new_close_date", "amount", "changed_by"]


def _named_opportunities(ctx: _Ctx) -> tuple[list[tuple], list[tuple]]:
    """The named deals and their stage history. Returns (opportunity rows, history rows)."""
    a = ctx.as_of
    d = lambda n: dt.timedelta(days=n)  # noqa: E731
    V, I, U, L = "Validated", "Identified", "Unknown", "Leveraged"
    ixis_close = ctx.q_close(21)
    opps = [
        dict(id="OPP-0000001", name="IXIS - Snowflake Cost Replacement", acc="ACC-000001", type="New Business",
             stage="Negotiate", amount=2_100_000.0, fc="Commit", close=ixis_close, created=a - d(150),
             owner="USR-0001", source="Outbound",
             next_step="CFO budget approval (may slip to next quarter); legal redlines on MSA",
             competitors="Snowflake", last=a - d(2),
             m=[("Cut Snowflake spend ~45% (about $1.1M a year) while keeping dashboards under 1 second", V),
                ("CFO Dana Lee - owns the budget; approval pending, not yet met directly", I),
                ("Snowflake costs growing faster than revenue; slow customer-facing dashboards at peak", V),
                ("Raj Mehta, VP of Data Platform - drove the POC and presents the business case", V),
                ("Price-performance on production workloads, dbt compatibility, SOC 2 and SSO", V),
                ("Snowflake is the incumbent and is offering a renewal discount", V),
                ("POC passed; business case to CFO; security review done; exec sign-off", V),
                ("MSA in legal review (Alicia Gomez); PO through procurement (Emily Carter) after CFO approval", V)],
             history="push"),
        dict(id="OPP-0000002", name="DataCorp Expansion", acc="ACC-000002", type="Expansion", stage="Negotiate",
             amount=800_000.0, fc="Commit", close=ctx.q_close(28), created=a - d(90), owner="USR-0002",
             source="Existing Customer", next_step="Order form out for signature; confirm ramp schedule",
             competitors="Databricks", last=a - d(4),
             m=[("Move real-time segmentation workloads; 3x query volume expected", V),
                ("Megan Cho, VP of Finance - approved the expansion budget", V),
                ("Current engine size limits concurrency for the new product launch", V),
                ("Ben Ortiz, Head of Analytics - internal sponsor since the first deal", L),
                ("Latency at 300 concurrent users and predictable pricing", V),
                ("Databricks SQL pitched by their platform team", I),
                ("Head of Analytics recommends, VP Finance signs", V),
                ("Standard order form under existing MSA", V)],
             history="plain"),
        dict(id="OPP-0000003", name="TechCorp - Platform Evaluation", acc="ACC-000003", type="New Business",
             stage="Technical Validation", amount=350_000.0, fc="Pipeline", close=ctx.nq_start + d(30),
             created=a - d(75), owner="USR-0002", source="Website", next_step="Rebook POC success review",
             competitors="Redshift,ClickHouse", last=a - d(26),
             m=[("Embedded dashboards under 2 seconds for 5,000 customer tenants", I),
                ("CTO Victor Hale - budget owner", I),
                ("Redshift cluster cannot keep up with customer-facing queries", V),
                ("Sara Johnston, Director of Analytics - interested but busy", I),
                (None, U), ("Staying on Redshift or trying ClickHouse", I), (None, U), (None, U)],
             history="plain"),
        dict(id="OPP-0000004", name="Acme Corp - Analytics Platform", acc="ACC-000004", type="New Business",
             stage="Business Justification", amount=450_000.0, fc="Best Case", close=ctx.q_close(35),
             created=a - d(110), owner="USR-0002", source="Event",
             next_step="Deliver TCO comparison vs Databricks and Snowflake to CFO",
             competitors="Databricks,Snowflake", last=a - d(6),
             m=[("One platform for store, web and supply-chain reporting; cut report runtimes from hours to minutes", V),
                ("CFO Greg Foster", I),
                ("Three separate reporting stacks; nightly batch too slow for inventory decisions", V),
                ("Laura Kim, Director of Data Engineering", V),
                ("TCO over three years, concurrency for 400 store managers, dbt support", V),
                ("Databricks and Snowflake both in the evaluation", V),
                ("Data team shortlist, CFO approves spend over $250K", I),
                (None, U)],
             history="plain"),
        dict(id="OPP-0000005", name="Microsoft Enterprise", acc="ACC-000005", type="New Business",
             stage="Technical Validation", amount=1_500_000.0, fc="Pipeline", close=ctx.nq_end - d(20),
             created=a - d(60), owner="USR-0003", source="Outbound", next_step="Benchmark on telemetry data set",
             competitors="Databricks", last=a - d(9),
             m=[("Sub-second telemetry dashboards over 50 TB", I), ("GM, Data Platform", I),
                ("Internal dashboards too slow on current stack", V), ("Anita Desai, Principal Group PM", I),
                ("Latency and cost at high concurrency", I), ("Databricks used elsewhere in the org", I),
                (None, U), (None, U)],
             history="plain"),
        dict(id="OPP-0000006", name="TechFlow Migration", acc="ACC-000006", type="New Business",
             stage="Business Justification", amount=600_000.0, fc="Best Case", close=ctx.q_close(35),
             created=a - d(95), owner="USR-0002", source="Partner",
             next_step="Migration plan and business case review with finance", competitors="Redshift",
             last=a - d(3),
             m=[("Tracking dashboards under 1 second; 40% lower cost than Redshift", V),
                ("Finance Director Sofia Marin", I), ("Redshift latency hurts customer-facing tracking", V),
                ("Lukas Weber, VP of Engineering", V), ("Latency, cost, migration effort", V),
                ("Redshift incumbent", V), ("VP Engineering recommends, finance approves", I), (None, U)],
             history="plain"),
        dict(id="OPP-0000007", name="DataCorp - Initial Platform", acc="ACC-000002", type="New Business",
             stage="Closed Won", amount=600_000.0, fc="Closed", close=a - d(400), created=a - d(520),
             owner="USR-0002", source="Webinar", next_step=None, competitors="Snowflake", last=a - d(402),
             m=[("Real-time segmentation under 1 second", V), ("VP of Finance", V), ("Slow segmentation jobs", V),
                ("Ben Ortiz", L), ("Latency, cost", V), ("Snowflake incumbent", V), ("POC then VP sign-off", V),
                ("MSA signed", V)],
             history="plain"),
    ]
    opp_rows, hist = [], []
    for o in opps:
        stage = o["stage"]
        closed = stage in CLOSED_STAGES
        med = []
        for text, status in o["m"]:
            med += [text, status]
        opp_rows.append((o["id"], o["name"], o["acc"], o["type"], stage, o["amount"], STAGES[stage], o["fc"],
                         o["close"], o["created"], o["owner"], o["source"], o["next_step"], o["competitors"],
                         closed, stage == "Closed Won", o["last"], *med))
        hist += _named_history(ctx, o, closed)
    return opp_rows, hist


def _named_history(ctx: _Ctx, o: dict, closed: bool) -> list[tuple]:
    path = list(OPEN_STAGES[: OPEN_STAGES.index(o["stage"]) + 1]) if not closed else list(OPEN_STAGES) + [o["stage"]]
    created, close, amount, owner = o["created"], o["close"], o["amount"], o["owner"]
    end = close if closed else ctx.as_of - dt.timedelta(days=8)
    span = max(1, (end - created).days)
    at = lambda day, h: dt.datetime.combine(day, dt.time(h, 0))  # noqa: E731
    pushes = []
    if o["history"] == "push":   # two close-date pushes: original date -> ... -> final close date
        first = close - dt.timedelta(days=75)
        mid = close - dt.timedelta(days=30)
        pushes = [(ctx.as_of - dt.timedelta(days=60), first, mid), (ctx.as_of - dt.timedelta(days=6), mid, close)]
        initial_close = first
    else:
        initial_close = close
    rows = [(o["id"], at(created, 9), None, "Discovery", None, None, initial_close, amount, owner)]
    events = []
    for k in range(1, len(path)):
        day = created + dt.timedelta(days=round(span * k / (len(path) - (0 if closed else -1))))
        if closed and k == len(path) - 1:
            day = close
        events.append((day, "move", path[k - 1], path[k]))
    for day, old, new in pushes:
        events.append((day, "push", old, new))
    events.sort(key=lambda e: (e[0], e[1]))
    cur_close, cur_stage, last_move = initial_close, "Discovery", created
    for n, (day, kind, x, y) in enumerate(events, start=1):
        if kind == "move":
            rows.append((o["id"], at(day, 10 + n % 8), x, y, (day - last_move).days, cur_close, cur_close, amount,
                         owner))
            cur_stage, last_move = y, day
        else:
            rows.append((o["id"], at(day, 10 + n % 8), cur_stage, cur_stage, (day - last_move).days, x, y, amount,
                         owner))
            cur_close = y
    return rows


# ---------------------------------------------------------------------------------------------- bulk SQL
_NB_SUFFIXES = ("Analytics Platform", "Real-Time Analytics", "Warehouse Modernization", "Customer-Facing Analytics",
                "Platform Evaluation", "Cost Optimization", "Data Platform", "Embedded Dashboards")
_EXP_SUFFIXES = ("Expansion", "Additional Engines", "New Use Case", "Team Rollout", "Upsell")
_NEXT_STEPS = {
    0: ("Schedule discovery follow-up with the data team", "Send recap and qualification questions",
        "Book intro with the head of data", "Share customer case study"),
    1: ("Confirm pain and success metrics with champion", "Map the buying committee",
        "Set up technical deep-dive", "Agree on evaluation plan"),
    2: ("POC kickoff with platform engineers", "Review POC results", "Run benchmark on production queries",
        "Security questionnaire in progress"),
    3: ("Build business case with champion", "Present ROI model to finance", "Executive alignment meeting",
        "Send TCO comparison"),
    4: ("Legal redlines on MSA", "Procurement to issue PO", "Final pricing approval", "Order form out for signature"),
}
_MEDDPICC_TEXT = {
    "metrics": ("Cut warehouse spend by about 40%", "Dashboards under 1 second at 200 concurrent users",
                "Reduce data freshness from hours to minutes", "Support 10x data growth without new headcount",
                "Consolidate three query engines into one", "Sub-second customer-facing analytics SLA"),
    "economic_buyer": ("CFO", "VP of Engineering", "CTO", "Chief Data Officer", "VP of Finance", "COO"),
    "identify_pain": ("Warehouse costs growing faster than revenue", "Slow dashboards hurt customer experience",
                      "Data team spends a third of its time tuning queries", "No way to serve real-time use cases",
                      "Concurrency limits at peak hours", "Nightly batch too slow for operational decisions"),
    "champion": ("Director of Data Engineering", "Head of Analytics", "Staff Data Engineer", "VP of Data Platform",
                 "Analytics Engineering Lead", "Principal Architect"),
    "decision_criteria": ("Price-performance on production queries", "Sub-second latency at high concurrency",
                          "SQL compatibility and dbt support", "Security (SOC 2, SSO) and data residency",
                          "Three-year total cost of ownership", "Ease of migration"),
    "decision_making_process": ("Technical POC, then business case to the CFO",
                                "Architecture review board, then executive sign-off",
                                "Data team recommends; CTO approves", "Procurement-led RFP with technical scoring",
                                "Champion presents to leadership; CFO signs above threshold"),
    "paper_process": ("Legal review of MSA, security questionnaire, PO via procurement",
                      "Standard order form; procurement needs two weeks", "MSA redlines with legal; DPA required",
                      "Vendor onboarding and security review (about four weeks)",
                      "Order form on customer paper; legal and procurement sign-off"),
}
_STATUS_NOTE = {"economic_buyer": {"Identified": " (identified, not yet engaged)",
                                   "Validated": " (met; confirmed budget ownership)",
                                   "Leveraged": " (engaged; sponsoring the project)"},
                "champion": {"Identified": " (supportive)", "Validated": " (tested: shares internal information)",
                             "Leveraged": " (actively selling internally)"}}
_DESC = ("Its data team runs customer-facing dashboards on {wh}.",
         "The company is consolidating its analytics stack around {wh}.",
         "It ingests event data in near real time and reports on it with {wh}.",
         "Analytics workloads run on {wh}, and the data team is growing.",
         "It relies on {wh} for reporting, forecasting and product analytics.")
_NEWS = ("{name} launches an AI assistant for its customers", "{name} opens a new office in {city}",
         "{name} appoints a new Chief Data Officer", "{name} reports record quarterly revenue",
         "{name} announces restructuring and a hiring freeze", "{name} expands its partnership with {wh}",
         "{name} named one of the fastest-growing companies in {city}",
         "{name} completes migration to a modern data platform", "{name} acquires an analytics startup",
         "{name} hires a new VP of Engineering")


def _macros(con, seed: int) -> None:
    s = int(seed)
    con.execute(f"CREATE OR REPLACE TEMP MACRO rnd(k, salt) AS ((hash({s}, k, salt) % 1000003)::DOUBLE / 1000003.0)")
    con.execute(f"CREATE OR REPLACE TEMP MACRO rint(k, salt, n) AS "
                f"(hash({s}, k, salt) % greatest(1, (n))::UBIGINT)::BIGINT")
    con.execute("CREATE OR REPLACE TEMP MACRO pick(arr, k, salt) AS arr[1 + rint(k, salt, len(arr))]")
    con.execute("CREATE OR REPLACE TEMP MACRO dplus(d, n) AS (d + to_days((n)::INTEGER))::DATE")


def _companies_sql(ctx: _Ctx, first: int, last: int) -> str:
    np_, nc = len(_NAME_PREFIXES), len(_NAME_CORES)
    combos = np_ * nc * len(_NAME_SUFFIXES)
    hq_all = [c for v in _HQ.values() for c in v]
    desc = _lit(list(_DESC))
    news = _lit(list(_NEWS))
    return f"""
    WITH b AS (
        SELECT idx, (((idx - 1) * 7919 + {ctx.seed % combos} * 104729) % {combos})::BIGINT AS combo,
               (idx - 1) // {combos} AS round_no,
               rnd(idx, 'seg') AS useg, rnd(idx, 'reg') AS ureg, rnd(idx, 'emp') AS uemp, rnd(idx, 'wh') AS uwh
        FROM range({first}, {last + 1}) t(idx)
    ), n AS (
        SELECT *,
            concat_ws(' ', {_lit(list(_NAME_PREFIXES))}[1 + combo % {np_}],
                      {_lit([c for c, _ in _NAME_CORES])}[1 + (combo // {np_}) % {nc}],
                      nullif({_lit(list(_NAME_SUFFIXES))}[1 + combo // {np_ * nc}], ''),
                      CASE WHEN round_no > 0 THEN (round_no + 1)::VARCHAR END) AS name,
            {_lit([i for _, i in _NAME_CORES])}[1 + (combo // {np_}) % {nc}] AS industry,
            CASE WHEN useg < 0.45 THEN 'SMB' WHEN useg < 0.80 THEN 'Mid-Market' ELSE 'Enterprise' END AS segment,
            CASE WHEN ureg < 0.50 THEN 'NA' WHEN ureg < 0.78 THEN 'EMEA' WHEN ureg < 0.93 THEN 'APAC' ELSE 'LATAM' END
                AS region,
            CASE WHEN uwh < 0.30 THEN 'Snowflake' WHEN uwh < 0.45 THEN 'Databricks' WHEN uwh < 0.58 THEN 'BigQuery'
                 WHEN uwh < 0.72 THEN 'Redshift' WHEN uwh < 0.80 THEN 'ClickHouse' ELSE 'Postgres' END AS wh
        FROM b
    ), f AS (
        SELECT *,
            (CASE segment WHEN 'SMB' THEN 12 + floor(188 * pow(uemp, 1.3))
                          WHEN 'Mid-Market' THEN 200 + floor(1800 * pow(uemp, 1.6))
                          ELSE 2000 + floor(60000 * pow(uemp, 3)) END)::INTEGER AS employees,
            CASE segment WHEN 'SMB' THEN pick(['Seed', 'Series A', 'Series A', 'Series B', 'Private'], idx, 'fund')
                         WHEN 'Mid-Market' THEN pick(['Series B', 'Series C', 'Series D', 'Private', 'Series B'], idx, 'fund')
                         ELSE pick(['Public', 'Public', 'Private', 'Series E'], idx, 'fund') END AS funding_stage,
            CASE region WHEN 'NA' THEN pick({_lit(list(_HQ['NA']))}, idx, 'hq')
                        WHEN 'EMEA' THEN pick({_lit(list(_HQ['EMEA']))}, idx, 'hq')
                        WHEN 'APAC' THEN pick({_lit(list(_HQ['APAC']))}, idx, 'hq')
                        ELSE pick({_lit(list(_HQ['LATAM']))}, idx, 'hq') END AS headquarters,
            lower(regexp_replace(name, '[^A-Za-z0-9]', '', 'g'))
                || CASE WHEN rnd(idx, 'tld') < 0.7 THEN '.com' WHEN rnd(idx, 'tld') < 0.85 THEN '.io' ELSE '.co' END
                AS domain
        FROM n
    )
    SELECT idx, name, domain, industry, segment, region, employees,
        round(employees * (90000 + 260000 * rnd(idx, 'rev')) / 100000) * 100000.0 AS annual_revenue,
        funding_stage,
        round(CASE funding_stage WHEN 'Seed' THEN 1e6 + 4e6 * rnd(idx, 'tf') WHEN 'Series A' THEN 8e6 + 17e6 * rnd(idx, 'tf')
              WHEN 'Series B' THEN 25e6 + 45e6 * rnd(idx, 'tf') WHEN 'Series C' THEN 60e6 + 90e6 * rnd(idx, 'tf')
              WHEN 'Series D' THEN 120e6 + 180e6 * rnd(idx, 'tf') WHEN 'Series E' THEN 250e6 + 350e6 * rnd(idx, 'tf')
              END / 1e5) * 1e5 AS total_funding,
        headquarters,
        {ctx.as_of.year} - (CASE segment WHEN 'SMB' THEN 2 + rint(idx, 'fy', 8) WHEN 'Mid-Market' THEN 5 + rint(idx, 'fy', 12)
                            ELSE 10 + rint(idx, 'fy', 60) END)::INTEGER AS founded_year,
        concat_ws(',', wh,
                  CASE WHEN rnd(idx, 'xf') < 0.55 THEN 'dbt' WHEN rnd(idx, 'xf') < 0.75 THEN 'Airflow' END,
                  pick(['Looker', 'Tableau', 'Power BI', 'Metabase', 'Mode'], idx, 'bi'),
                  CASE WHEN rnd(idx, 'kafka') < 0.25 THEN 'Kafka' END,
                  CASE WHEN rnd(idx, 'fivetran') < 0.2 THEN 'Fivetran' END) AS tech_stack,
        name || ' is a ' || industry || ' company headquartered in ' || headquarters || ' with about '
            || employees || ' employees. ' || replace(pick({desc}, idx, 'desc'), '{{wh}}', wh) AS description,
        concat_ws(chr(10),
            CASE WHEN funding_stage LIKE 'Series%' OR funding_stage = 'Seed' THEN
                name || ' raises $' || greatest(1, round((CASE funding_stage WHEN 'Seed' THEN 3 WHEN 'Series A' THEN 15
                    WHEN 'Series B' THEN 35 WHEN 'Series C' THEN 70 WHEN 'Series D' THEN 120 ELSE 200 END)
                    * (0.6 + 0.8 * rnd(idx, 'nf'))))::INTEGER || 'M ' || funding_stage END,
            replace(replace(replace(pick({news}, idx, 'n1'), '{{name}}', name), '{{city}}', pick({_lit(hq_all)}, idx, 'nc')),
                    '{{wh}}', wh),
            CASE WHEN rnd(idx, 'n2x') < 0.5 THEN
                replace(replace(replace({news}[1 + (rint(idx, 'n1', {len(_NEWS)}) + 1 + rint(idx, 'n2', {len(_NEWS) - 1}))
                    % {len(_NEWS)}], '{{name}}', name), '{{city}}', pick({_lit(hq_all)}, idx, 'nc2')), '{{wh}}', wh) END)
            AS recent_news
    FROM f
    """


def _bulk(con, ctx: _Ctx, n_named_acc: int, n_named_opp: int, n_named_con: int, n_named_lead: int) -> None:
    a = ctx.as_of
    A, NQS, HS = _lit(a), _lit(ctx.nq_start), _lit(ctx.hist_start)
    days_left = (ctx.q_end - a).days
    nq_len = (ctx.nq_end - ctx.nq_start).days + 1
    n_acc = max(ctx.n_accounts, n_named_acc + 20)
    n_gen_acc = n_acc - n_named_acc
    n_newco = max(20, round(ctx.n_leads * 0.45))

    # companies: accounts are idx 1..n_acc (named ones replaced), lead-only companies follow
    con.execute(f"CREATE TEMP TABLE companies AS {_companies_sql(ctx, n_named_acc + 1, n_acc + n_newco)}")

    # accounts
    con.execute(f"""
    INSERT INTO accounts
    WITH ae AS (SELECT team, list(user_id ORDER BY user_id) AS ids FROM users WHERE role = 'AE' GROUP BY team),
         cs AS (SELECT team, list(user_id ORDER BY user_id) AS ids FROM users WHERE role = 'CSM' GROUP BY team),
    b AS (
        SELECT c.*, rnd(idx, 'atype') AS ut,
               dplus({HS}, -200 - rint(idx, 'acr', 900)) AS created_date
        FROM companies c WHERE idx <= {n_acc}
    ), t AS (
        SELECT *, CASE WHEN ut < 0.40 THEN 'customer' WHEN ut < 0.48 THEN 'churned' ELSE 'prospect' END AS account_type
        FROM b
    ), s AS (
        SELECT *,
            CASE account_type WHEN 'customer' THEN greatest(dplus(created_date, 30), dplus({A}, -45 - rint(idx, 'cs', 1000)))
                              WHEN 'churned' THEN greatest(dplus(created_date, 30), dplus({A}, -400 - rint(idx, 'cs', 700)))
                              END AS customer_since
        FROM t
    )
    SELECT 'ACC-' || lpad(idx::VARCHAR, 6, '0'), s.name, domain, industry, segment, region, employees, annual_revenue,
        account_type, tech_stack, funding_stage,
        round(CASE segment WHEN 'SMB' THEN 15000 + 75000 * rnd(idx, 'ps') WHEN 'Mid-Market' THEN 80000 + 420000 * rnd(idx, 'ps')
              ELSE 300000 + 2700000 * rnd(idx, 'ps') END / 1000) * 1000.0,
        ae.ids[1 + rint(idx, 'owner', len(ae.ids))],
        CASE WHEN account_type <> 'prospect' THEN cs.ids[1 + rint(idx, 'csm', len(cs.ids))] END,
        created_date, customer_since,
        CASE WHEN account_type = 'churned' THEN
            least(dplus({A}, -5), greatest(dplus(customer_since, 120), dplus({A}, -10 - rint(idx, 'ch', 500)))) END
    FROM s JOIN ae ON ae.team = s.segment JOIN cs ON cs.team = s.segment
    """)

    # opportunities
    stage_names = _lit(list(STAGES))
    probs = _lit(list(STAGES.values()))
    nb, ex = _lit(list(_NB_SUFFIXES)), _lit(list(_EXP_SUFFIXES))
    comps = _lit(list(COMPETITORS))
    next_case = " ".join(f"WHEN {k} THEN pick({_lit(list(v))}, i, 'ns')" for k, v in _NEXT_STEPS.items())
    med_cols = []
    for j, f in enumerate(MEDDPICC_FIELDS):
        st = (f"['Unknown', 'Identified', 'Validated', 'Leveraged'][1 + least(3, greatest(0, "
              f"floor([0.4, 0.9, 1.5, 2.0, 2.3, 2.6, 1.0][stage_idx + 1] - 0.6 + 1.4 * rnd(i, 'ms{j}'))))::INTEGER]")
        med_cols.append(f"{st} AS {f}_status")
    med_text = []
    for f in MEDDPICC_FIELDS:
        if f == "competition":
            txt = ("CASE WHEN competitors IS NULL THEN 'No competitor identified; status quo' "
                   "ELSE 'Evaluating ' || replace(competitors, ',', ' and ') END")
        else:
            txt = f"pick({_lit(list(_MEDDPICC_TEXT[f]))}, i, 'mt_{f}')"
            if f in _STATUS_NOTE:
                notes = _STATUS_NOTE[f]
                txt += (f" || CASE {f}_status " + " ".join(f"WHEN {_lit(k)} THEN {_lit(v)}" for k, v in notes.items())
                        + " ELSE '' END")
        med_text.append(f"CASE WHEN {f}_status = 'Unknown' THEN NULL ELSE {txt} END AS {f}, {f}_status")
    con.execute(f"""
    CREATE TEMP TABLE opp_gen AS
    WITH b AS (
        SELECT i, 'OPP-' || lpad(({n_named_opp} + i)::VARCHAR, 7, '0') AS opportunity_id,
               'ACC-' || lpad(({n_named_acc} + 1 + rint(i, 'oacc', {n_gen_acc}))::VARCHAR, 6, '0') AS account_id,
               rnd(i, 'closed') AS uc, rnd(i, 'won') AS uw, rnd(i, 'stage') AS us, rnd(i, 'lost') AS ul,
               rnd(i, 'type') AS ut, rnd(i, 'amt') AS ua, rnd(i, 'cd') AS ucd, rnd(i, 'push') AS up,
               rnd(i, 'act') AS uact
        FROM range(1, {ctx.n_opps + 1}) t(i)
    ), c AS (
        SELECT b.*, ac.name AS acct_name, ac.segment, ac.account_type, ac.owner_id, ac.customer_since, ac.churned_date,
            CASE WHEN ac.account_type = 'prospect' THEN 'New Business' WHEN ut < 0.55 THEN 'Expansion' ELSE 'Renewal' END
                AS type,
            (ac.account_type = 'churned' OR uc < 0.6) AS is_closed
        FROM b JOIN accounts ac USING (account_id)
    ), d AS (
        SELECT *,
            CASE WHEN NOT is_closed THEN
                    (CASE WHEN us < 0.30 THEN 0 WHEN us < 0.55 THEN 1 WHEN us < 0.75 THEN 2 WHEN us < 0.89 THEN 3 ELSE 4 END)
                 WHEN uw < (CASE type WHEN 'New Business' THEN 0.32 WHEN 'Expansion' THEN 0.5 ELSE 0.78 END)
                           * (CASE WHEN account_type = 'churned' THEN 0.5 ELSE 1 END) THEN 5
                 ELSE 6 END AS stage_idx,
            CASE WHEN ul < 0.3 THEN 0 WHEN ul < 0.55 THEN 1 WHEN ul < 0.75 THEN 2 WHEN ul < 0.9 THEN 3 ELSE 4 END AS lost_at,
            CASE segment WHEN 'SMB' THEN 20 + rint(i, 'cy', 70) WHEN 'Mid-Market' THEN 40 + rint(i, 'cy', 110)
                         ELSE 80 + rint(i, 'cy', 200) END AS cycle,
            CASE WHEN type = 'New Business' THEN {HS} ELSE greatest({HS}, dplus(customer_since, 30)) END AS lo,
            least(dplus({A}, -1), coalesce(churned_date, dplus({A}, -1))) AS hi
        FROM c
    ), e AS (
        SELECT *,
            CASE WHEN is_closed THEN
                    CASE WHEN lo >= hi THEN hi ELSE dplus(lo, rint(i, 'ccd', date_diff('day', lo, hi) + 1)) END
                 WHEN ucd < 0.05 THEN dplus({A}, -1 - rint(i, 'od', 20))
                 WHEN ucd < (CASE WHEN stage_idx >= 3 THEN 0.72 ELSE 0.40 END) THEN dplus({A}, rint(i, 'cq', {days_left + 1}))
                 ELSE dplus({NQS}, rint(i, 'nq', {nq_len})) END AS close_date
        FROM d
    ), g AS (
        SELECT *,
            CASE WHEN is_closed THEN dplus(close_date, -cycle)
                 ELSE least(dplus(close_date, -7), dplus({A}, -greatest(3, round(cycle * (0.12 + 0.2 * stage_idx)
                                                                  * (0.7 + 0.6 * rnd(i, 'age')))))) END AS created_date,
            round(CASE segment WHEN 'SMB' THEN 10000 + 50000 * ua WHEN 'Mid-Market' THEN 50000 + 250000 * pow(ua, 1.5)
                  ELSE 150000 + 1350000 * pow(ua, 2) END
                  * CASE type WHEN 'New Business' THEN 1 WHEN 'Expansion' THEN 0.5 ELSE 0.8 END / 1000) * 1000.0 AS amount,
            CASE WHEN rnd(i, 'c0') < 0.3 THEN NULL ELSE
                CASE WHEN rnd(i, 'c1') < 0.35 THEN 0 WHEN rnd(i, 'c1') < 0.60 THEN 1 WHEN rnd(i, 'c1') < 0.75 THEN 2
                     WHEN rnd(i, 'c1') < 0.90 THEN 3 ELSE 4 END END AS comp1
        FROM e
    ), h AS (
        SELECT *,
            CASE WHEN comp1 IS NULL THEN NULL
                 WHEN rnd(i, 'c2x') < 0.35 THEN {comps}[1 + comp1] || ',' || {comps}[1 + (comp1 + 1 + rint(i, 'c2', 4)) % 5]
                 ELSE {comps}[1 + comp1] END AS competitors,
            CASE WHEN is_closed THEN (CASE WHEN up < 0.7 THEN 0 WHEN up < 0.9 THEN 1 ELSE 2 END)
                 ELSE (CASE WHEN up < 0.62 THEN 0 WHEN up < 0.84 THEN 1 WHEN up < 0.95 THEN 2 ELSE 3 END) END AS n_push0,
            CASE WHEN NOT is_closed THEN stage_idx WHEN stage_idx = 5 THEN 5 ELSE lost_at + 1 END AS n_moves,
            {", ".join(med_cols)}
        FROM g
    )
    SELECT opportunity_id, i, account_id, acct_name, segment, type, stage_idx, lost_at, is_closed, amount, close_date,
        created_date, owner_id, competitors, n_moves,
        CASE WHEN date_diff('day', created_date, close_date) >= 20 * (n_push0 + 1) THEN n_push0 ELSE 0 END AS n_push,
        greatest(1, least(53, date_diff('day', created_date, close_date) // (n_push0 + 1) - 7)) AS pmax,
        acct_name || ' - ' || CASE type WHEN 'New Business' THEN pick({nb}, i, 'nm') WHEN 'Expansion' THEN pick({ex}, i, 'nm')
                                  ELSE 'Renewal ' || year(close_date) END AS name,
        {stage_names}[stage_idx + 1] AS stage, {probs}[stage_idx + 1] AS probability,
        CASE stage_idx WHEN 0 THEN 'Pipeline' WHEN 1 THEN 'Pipeline'
             WHEN 2 THEN (CASE WHEN rnd(i, 'fc') < 0.85 THEN 'Pipeline' ELSE 'Best Case' END)
             WHEN 3 THEN (CASE WHEN rnd(i, 'fc') < 0.80 THEN 'Best Case' ELSE 'Commit' END)
             WHEN 4 THEN (CASE WHEN rnd(i, 'fc') < 0.85 THEN 'Commit' ELSE 'Best Case' END)
             WHEN 5 THEN 'Closed' ELSE 'Omitted' END AS forecast_category,
        CASE WHEN type <> 'New Business' THEN 'Existing Customer'
             ELSE pick(['Website', 'Website', 'Webinar', 'Event', 'Outbound', 'Outbound', 'Referral', 'Partner',
                        'Paid Search'], i, 'src') END AS lead_source,
        CASE WHEN NOT is_closed THEN CASE stage_idx {next_case} END END AS next_step,
        CASE WHEN is_closed THEN greatest(created_date, dplus(close_date, -rint(i, 'lac', 5)))
             ELSE greatest(created_date, dplus({A}, -(CASE WHEN uact < 0.68 THEN rint(i, 'gap', 8)
                                                         WHEN uact < 0.86 THEN 8 + rint(i, 'gap', 13)
                                                         ELSE 21 + rint(i, 'gap', 50) END))) END AS last_activity_date,
        {", ".join(med_text)}
    FROM h
    """)
    con.execute(f"""
    INSERT INTO opportunities
    SELECT opportunity_id, name, account_id, type, stage, amount, probability, forecast_category, close_date,
        created_date, owner_id, lead_source, next_step, competitors, is_closed, stage_idx = 5, last_activity_date,
        {", ".join(c for f in MEDDPICC_FIELDS for c in (f, f + "_status"))}
    FROM opp_gen
    """)

    # stage history: creation row, stage moves, close-date pushes
    open_list = _lit(list(OPEN_STAGES))
    con.execute(f"""
    INSERT INTO opportunity_stage_history
    WITH ev AS (
        SELECT opportunity_id, i, unnest(range(1, n_moves + 1))::DOUBLE AS key, TRUE AS is_move, 0 AS d
        FROM opp_gen WHERE n_moves > 0
        UNION ALL
        SELECT opportunity_id, i, key, FALSE, 7 + rint(i, 'pd' || key::VARCHAR, pmax) AS d FROM (
            SELECT opportunity_id, i, p, pmax,
                rint(i, 'pm' || p::VARCHAR, CASE WHEN is_closed THEN n_moves ELSE n_moves + 1 END) + 0.3 + 0.1 * p AS key
            FROM (SELECT opportunity_id, i, is_closed, n_moves, pmax, unnest(range(n_push)) AS p FROM opp_gen WHERE n_push > 0))
    ), o AS (
        SELECT ev.*, g.stage_idx, g.lost_at, g.is_closed, g.n_moves, g.created_date, g.close_date, g.amount, g.owner_id,
            row_number() OVER (PARTITION BY ev.opportunity_id ORDER BY key) AS pos,
            count(*) OVER (PARTITION BY ev.opportunity_id) AS n_ev,
            coalesce(sum(d) OVER (PARTITION BY ev.opportunity_id ORDER BY key DESC
                                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS d_after
        FROM ev JOIN opp_gen g USING (opportunity_id)
    ), t AS (
        SELECT *,
            CASE WHEN is_closed THEN dplus(created_date, floor(date_diff('day', created_date, close_date) * pos / n_ev))
                 ELSE dplus(created_date, floor(date_diff('day', created_date, {A}) * pos / (n_ev + 1))) END::TIMESTAMP
                + to_hours((8 + pos)::INTEGER) AS changed_at,
            dplus(close_date, -d_after) AS cur_close
        FROM o
    ), w AS (
        SELECT *,
            coalesce(max(CASE WHEN is_move THEN changed_at END) OVER (PARTITION BY opportunity_id ORDER BY key
                     ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), created_date::TIMESTAMP) AS prev_move
        FROM t
    )
    SELECT opportunity_id, changed_at,
        CASE WHEN is_move THEN {open_list}[key::INTEGER] ELSE {open_list}[floor(key)::INTEGER + 1] END AS from_stage,
        CASE WHEN NOT is_move THEN {open_list}[floor(key)::INTEGER + 1]
             WHEN is_closed AND key = n_moves THEN (CASE WHEN stage_idx = 5 THEN 'Closed Won' ELSE 'Closed Lost' END)
             ELSE {open_list}[key::INTEGER + 1] END AS to_stage,
        date_diff('day', prev_move, changed_at) AS days_in_stage,
        CASE WHEN is_move THEN cur_close ELSE dplus(cur_close, -d) END AS old_close_date,
        cur_close AS new_close_date, amount, owner_id
    FROM w
    UNION ALL
    SELECT g.opportunity_id, g.created_date::TIMESTAMP + INTERVAL 8 HOUR, NULL, 'Discovery', NULL, NULL,
        dplus(g.close_date, -coalesce(p.total, 0)), g.amount, g.owner_id
    FROM opp_gen g LEFT JOIN (
        SELECT opportunity_id, sum(7 + rint(i, 'pd' || key::VARCHAR, pmax)) AS total FROM (
            SELECT opportunity_id, i, pmax, rint(i, 'pm' || p::VARCHAR, CASE WHEN is_closed THEN n_moves ELSE n_moves + 1 END)
                   + 0.3 + 0.1 * p AS key
            FROM (SELECT opportunity_id, i, is_closed, n_moves, pmax, unnest(range(n_push)) AS p FROM opp_gen WHERE n_push > 0))
        GROUP BY opportunity_id) p USING (opportunity_id)
    """)

    # contacts: one primary contact per generic account, the rest spread at random
    firsts, lasts = _lit(list(_FIRST_NAMES)), _lit(list(_LAST_NAMES))
    titles = _lit([t for t, _, _ in _TITLES])
    depts = _lit([d for _, d, _ in _TITLES])
    sens = _lit([s for _, _, s in _TITLES])
    n_gen_con = max(n_gen_acc, ctx.n_contacts - n_named_con)
    con.execute(f"""
    INSERT INTO contacts
    WITH b AS (
        SELECT i, CASE WHEN i <= {n_gen_acc} THEN {n_named_acc} + i
                       ELSE {n_named_acc} + 1 + rint(i, 'cacc', {n_gen_acc}) END AS acc_idx,
               pick({firsts}, i, 'cf') AS first_name, pick({lasts}, i, 'cl') AS last_name,
               1 + rint(i, 'ct', {len(_TITLES)}) AS ti
        FROM range(1, {n_gen_con + 1}) t(i)
    )
    SELECT 'CON-' || lpad(({n_named_con} + i)::VARCHAR, 7, '0'), 'ACC-' || lpad(acc_idx::VARCHAR, 6, '0'),
        first_name, last_name, first_name || ' ' || last_name, {titles}[ti], {depts}[ti], {sens}[ti],
        lower(first_name) || '.' || lower(last_name) || '@' || ac.domain, i <= {n_gen_acc},
        greatest(ac.created_date, dplus({A}, -rint(i, 'ccr', 900)))
    FROM b JOIN accounts ac ON ac.account_id = 'ACC-' || lpad(acc_idx::VARCHAR, 6, '0')
    """)

    # leads: ~35% at existing accounts, the rest at lead-only companies (which get company_research rows)
    n_gen_lead = ctx.n_leads - n_named_lead
    src = _lit(["Website", "Website", "Website", "Webinar", "Webinar", "Event", "Outbound", "Outbound", "Referral",
                "Partner", "Paid Search", "Paid Search"])
    con.execute(f"""
    INSERT INTO leads
    WITH sdr AS (SELECT list(user_id ORDER BY user_id) AS ids FROM users WHERE role = 'SDR'),
    b AS (
        SELECT i, pick({firsts}, i, 'lf') AS first_name, pick({lasts}, i, 'll') AS last_name,
            1 + rint(i, 'lt', {len(_TITLES)}) AS ti,
            CASE WHEN rnd(i, 'lco') < 0.35 THEN {n_named_acc} + 1 + rint(i, 'lacc', {n_gen_acc})
                 ELSE {n_acc} + 1 + rint(i, 'lnew', {n_newco}) END AS co_idx,
            CASE WHEN rnd(i, 'wk') < 0.04 THEN rint(i, 'age', {(a - ctx.week_start).days + 1})
                 ELSE floor(365 * pow(rnd(i, 'age'), 1.3))::INTEGER END AS age,
            rnd(i, 'st') AS ust
        FROM range(1, {n_gen_lead + 1}) t(i)
    ), c AS (
        SELECT b.*, co.name AS company, co.domain, co.industry, co.employees, co.region,
            ac.account_id,
            CASE WHEN age <= 7 THEN (CASE WHEN ust < 0.35 THEN 'New' WHEN ust < 0.55 THEN 'Working' ELSE 'MQL' END)
                 WHEN age <= 45 THEN (CASE WHEN ust < 0.2 THEN 'New' WHEN ust < 0.5 THEN 'Working' WHEN ust < 0.75 THEN 'MQL'
                                          WHEN ust < 0.9 THEN 'SQL' ELSE 'Disqualified' END)
                 ELSE (CASE WHEN ust < 0.05 THEN 'New' WHEN ust < 0.25 THEN 'Working' WHEN ust < 0.42 THEN 'MQL'
                            WHEN ust < 0.55 THEN 'SQL' WHEN ust < 0.8 THEN 'Disqualified' ELSE 'Converted' END) END AS st0
        FROM b
        JOIN companies co ON co.idx = b.co_idx
        LEFT JOIN accounts ac ON ac.account_id = 'ACC-' || lpad(b.co_idx::VARCHAR, 6, '0') AND b.co_idx <= {n_acc}
    ), d AS (
        SELECT *, CASE WHEN st0 = 'Converted' AND account_id IS NULL THEN 'SQL' ELSE st0 END AS status,
            CASE st0 WHEN 'MQL' THEN 2.0 WHEN 'SQL' THEN 2.6 WHEN 'Converted' THEN 3.0 WHEN 'Working' THEN 1.3
                     WHEN 'Disqualified' THEN 0.6 ELSE 0.8 END * (0.5 + rnd(i, 'eng')) AS eng
        FROM c
    )
    SELECT 'LEAD-' || lpad(({n_named_lead} + i)::VARCHAR, 6, '0'), first_name, last_name, first_name || ' ' || last_name,
        -- forms and lists are incomplete: a few leads come without a title, and a lead-only company whose
        -- head count research could not find has none on the lead either
        CASE WHEN rnd(i, 'notitle') < 0.04 THEN NULL ELSE {titles}[ti] END,
        CASE WHEN rnd(i, 'notitle') < 0.04 THEN NULL ELSE {sens}[ti] END,
        CASE WHEN rnd(i, 'notitle') < 0.04 THEN NULL ELSE {depts}[ti] END,
        lower(first_name) || '.' || lower(last_name) || '@' || domain,
        company, domain, industry,
        CASE WHEN co_idx > {n_acc} AND rnd(co_idx, 'noemp') < 0.08 THEN NULL ELSE employees END, region, pick({src}, i, 'src'), status, dplus({A}, -age),
        sdr.ids[1 + rint(i, 'sdr', len(sdr.ids))],
        round(eng * (3 + rint(i, 'eo', 12)))::INTEGER, round(eng * rint(i, 'ec', 5))::INTEGER,
        round(eng * (1 + rint(i, 'ev', 10)))::INTEGER, round(eng * rint(i, 'ed', 3))::INTEGER,
        CASE WHEN rnd(i, 'ea') < 0.25 * eng THEN 1 ELSE 0 END,
        dplus({A}, -(rint(i, 'la', age + 1) * CASE WHEN status IN ('Disqualified', 'Converted') THEN 1 ELSE 0.4 END)::INTEGER),
        CASE WHEN status = 'Converted' THEN account_id END
    FROM d, sdr
    """)

    # customer profiles: usage trend and revenue level per billed account
    con.execute("""
    CREATE TEMP TABLE acct_profile AS
    WITH b AS (
        SELECT account_id, segment, account_type, customer_since, churned_date, potential_spend,
            hash(account_id) AS h,
            CASE WHEN name = 'DataCorp' THEN 'growing'
                 WHEN account_type = 'churned' THEN 'declining'
                 WHEN rnd(hash(account_id), 'trend') < 0.12 THEN 'declining'
                 WHEN rnd(hash(account_id), 'trend') < 0.27 THEN 'growing' ELSE 'stable' END AS trend
        FROM accounts WHERE account_type <> 'prospect'
    )
    SELECT *,
        CASE segment WHEN 'SMB' THEN 300 + 1200 * rnd(h, 'bq') WHEN 'Mid-Market' THEN 2000 + 13000 * rnd(h, 'bq')
                     ELSE 20000 + 130000 * rnd(h, 'bq') END AS base_q,
        CASE segment WHEN 'SMB' THEN 4 + 12 * rnd(h, 'bh') WHEN 'Mid-Market' THEN 20 + 80 * rnd(h, 'bh')
                     ELSE 120 + 500 * rnd(h, 'bh') END AS base_h,
        CASE segment WHEN 'SMB' THEN 3 + 12 * rnd(h, 'bu') WHEN 'Mid-Market' THEN 15 + 60 * rnd(h, 'bu')
                     ELSE 60 + 400 * rnd(h, 'bu') END AS base_u,
        potential_spend / 12 * (0.35 + 0.5 * rnd(h, 'mrr')) AS mrr0
    FROM b
    """)
    nd = ctx.usage_days
    con.execute(f"""
    INSERT INTO usage_daily
    WITH days AS (SELECT k, dplus({A}, k - {nd - 1}) AS usage_date, k / {max(1, nd - 1)}::DOUBLE AS x
                  FROM range({nd}) t(k)),
    b AS (
        SELECT p.account_id, p.h, d.usage_date, d.k,
            CASE p.trend WHEN 'growing' THEN 1 + 1.4 * pow(d.x, 1.2)
                         WHEN 'declining' THEN (CASE WHEN d.x < 0.4 THEN 1 ELSE 1 - 1.1 * (d.x - 0.4) END)
                         ELSE 1 + 0.08 * sin(d.x * 6.28 + (p.h % 7)) END AS m,
            CASE WHEN dayofweek(d.usage_date) IN (0, 6) THEN 0.4 ELSE 1 END AS wk,
            p.base_q, p.base_h, p.base_u
        FROM acct_profile p JOIN days d
          ON d.usage_date >= p.customer_since AND (p.churned_date IS NULL OR d.usage_date < p.churned_date)
    )
    SELECT account_id, usage_date,
        round(base_q * m * wk * (0.85 + 0.3 * rnd(h, k)))::BIGINT,
        round(base_h * m * wk * (0.85 + 0.3 * rnd(h, -k)), 2),
        round(base_q * m * wk * (0.85 + 0.3 * rnd(h, k)) * (1.5e8 + 2.5e8 * rnd(h, k + 100000)))::BIGINT,
        greatest(1, round(base_u * (0.5 + 0.5 * m) * (CASE WHEN wk < 1 THEN 0.3 ELSE 1 END) * (0.9 + 0.2 * rnd(h, k + 200000))))::INTEGER
    FROM b
    """)
    con.execute(f"""
    INSERT INTO billing_monthly
    WITH months AS (SELECT k, (date_trunc('month', {HS}) + to_months(k::INTEGER))::DATE AS month FROM range(0, 30) t(k)),
    b AS (
        SELECT p.*, m.month, m.k,
            date_diff('month', date_trunc('month', p.customer_since)::DATE, m.month) AS age_m,
            date_diff('month', m.month, date_trunc('month', {A})::DATE) AS back_m
        FROM acct_profile p JOIN months m
          ON m.month >= date_trunc('month', p.customer_since) AND m.month <= date_trunc('month', {A})
         AND (p.churned_date IS NULL OR m.month < date_trunc('month', p.churned_date))
    )
    SELECT account_id, month,
        round(mrr0 * pow(1.01, age_m)
              * CASE trend WHEN 'growing' THEN pow(1.04, greatest(0, 6 - back_m))
                           WHEN 'declining' THEN pow(0.95, greatest(0, 4 - back_m)) ELSE 1 END
              * (0.95 + 0.1 * rnd(h, k)), 2),
        CASE segment WHEN 'SMB' THEN 'Starter' WHEN 'Mid-Market' THEN 'Growth' ELSE 'Enterprise' END
    FROM b
    """)

    # company research: every account's company and every lead-only company. Research on small lead-only
    # companies has gaps, as real enrichment does: some head counts and tech stacks were not found.
    con.execute(f"""
    INSERT INTO company_research
    WITH r AS (
        SELECT *, CASE WHEN idx > {n_acc} AND rnd(idx, 'noemp') < 0.08 THEN NULL ELSE employees END AS known_employees
        FROM companies
    )
    SELECT name, domain, industry, known_employees, {employee_range_sql('known_employees')}, funding_stage,
        total_funding, headquarters, founded_year,
        CASE WHEN idx > {n_acc} AND rnd(idx, 'nostack') < 0.12 THEN NULL ELSE tech_stack END,
        description, recent_news, 'https://www.' || domain || '/about', dplus({A}, -rint(idx, 'upd', 90))
    FROM r
    """)


def _targets(con, ctx: _Ctx) -> None:
    rows = []
    for k in range(-8, 2):
        qs = _add_months(ctx.q_start, 3 * k)
        qe = _add_months(qs, 3) - dt.timedelta(days=1)
        for seg in SEGMENTS:
            rows.append((_quarter_label(qs), qs, qe, seg, k))
    con.execute("CREATE TEMP TABLE tq (quarter TEXT, quarter_start DATE, quarter_end DATE, segment TEXT, k INTEGER)")
    _insert(con, "tq", ["quarter", "quarter_start", "quarter_end", "segment", "k"], rows)
    con.execute("""
    INSERT INTO targets
    WITH won AS (
        SELECT a.segment, sum(o.amount) / 8.0 AS avg_q FROM opportunities o JOIN accounts a USING (account_id)
        WHERE o.is_won AND o.close_date >= (SELECT min(quarter_start) FROM tq) AND o.close_date < (SELECT min(quarter_start) FROM tq WHERE k = 0)
        GROUP BY a.segment
    ), rev AS (
        SELECT a.segment, date_trunc('quarter', b.month)::DATE AS qs, sum(b.revenue) AS revenue
        FROM billing_monthly b JOIN accounts a USING (account_id) GROUP BY ALL
    ), last_full AS (
        SELECT segment, revenue FROM rev WHERE qs = (SELECT quarter_start FROM tq WHERE k = -1 LIMIT 1)
    ), cur AS (
        -- the current quarter's number is set so that won + commit lands close to it, with a gap to close
        SELECT a.segment,
               sum(CASE WHEN o.is_won THEN o.amount ELSE 0 END)
             + sum(CASE WHEN NOT o.is_closed AND o.forecast_category = 'Commit' THEN o.amount ELSE 0 END)
             + 0.1 * sum(CASE WHEN NOT o.is_closed THEN o.amount * o.probability / 100.0 ELSE 0 END) AS expected
        FROM opportunities o JOIN accounts a USING (account_id)
        WHERE o.close_date BETWEEN (SELECT quarter_start FROM tq WHERE k = 0 LIMIT 1)
                               AND (SELECT quarter_end FROM tq WHERE k = 0 LIMIT 1)
        GROUP BY a.segment
    )
    SELECT tq.quarter, tq.quarter_start, tq.quarter_end, tq.segment,
        round(CASE WHEN tq.k = 0 AND coalesce(cur.expected, 0) > 0
                   THEN cur.expected * (0.92 + 0.16 * rnd(tq.k, tq.segment))
                   ELSE coalesce(won.avg_q, 100000) * (0.85 + 0.03 * (tq.k + 8)) * (0.9 + 0.25 * rnd(tq.k, tq.segment))
              END / 1000) * 1000.0,
        round(CASE WHEN tq.k < 0 THEN coalesce(rev.revenue, 0) * (0.93 + 0.12 * rnd(tq.k, tq.segment || 'r'))
                   ELSE coalesce(lf.revenue, 0) * (1.04 + 0.04 * (tq.k + 1)) END / 1000) * 1000.0
    FROM tq LEFT JOIN won USING (segment) LEFT JOIN rev ON rev.segment = tq.segment AND rev.qs = tq.quarter_start
    LEFT JOIN last_full lf ON lf.segment = tq.segment
    LEFT JOIN cur ON cur.segment = tq.segment
    """)


# ---------------------------------------------------------------------------------------------- calls
# Each signal: (AE question variants, customer answer variants, key-point template). Placeholders:
# {comp} competitor, {comp2} second competitor, {acct} account, {eb} economic buyer title, {pct} percent,
# {k} $K figure, {q} current quarter label, {nq} next quarter label, {vendor} our company.
_SIG: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "pain": (
        ("What's driving the project right now?", "Can you walk me through the main problem you're trying to solve?",
         "Where does the current setup hurt the most?"),
        ("Honestly, cost. Our warehouse bill went up about {pct}% this year and finance keeps asking why.",
         "Dashboards take twenty seconds or more at peak, and our customers notice it.",
         "We spend way too much engineering time tuning queries instead of building product.",
         "Concurrency is the real pain: past a few hundred users everything starts queueing.",
         "Our data is hours old by the time anyone sees it, so real-time use cases are off the table."),
        "Pain: cost, latency and concurrency of the current stack"),
    "metrics": (
        ("How will you measure success?", "What numbers would make this a win for you?"),
        ("If we can cut query costs by {pct}%, the project pays for itself.",
         "Success is sub-second dashboards at five hundred concurrent users.",
         "We need p95 latency under one second on our top fifty queries.",
         "The goal is to support ten times the data without adding headcount."),
        "Success metrics discussed ({pct}% cost reduction / sub-second latency)"),
    "competitor": (
        ("Who else are you looking at?", "Are you evaluating any other options?",
         "How does this compare to what you run today?"),
        ("To be transparent, we're also evaluating {comp} in parallel.",
         "{comp} is the incumbent, so anything new has to beat it on cost.",
         "The {comp} team came back with a big discount to keep us.",
         "Part of the team prefers {comp} because they already know it.",
         "We benchmarked {comp} last month and the numbers were okay, not great."),
        "Competition: {comp} in the evaluation"),
    "criteria": (
        ("What are the decision criteria?", "How will the options be scored?"),
        ("Our decision criteria are price-performance, SQL compatibility and how well it works with dbt.",
         "The scorecard weights performance at forty percent, cost at thirty and ease of migration at thirty.",
         "Security is a must-have: SOC 2, SSO and data residency in our region.",
         "Total cost of ownership over three years is the main criterion for finance."),
        "Decision criteria: price-performance, compatibility, security"),
    "eb_identified": (
        ("Who signs off on the budget?", "Who is the economic buyer here?"),
        ("Our {eb} has final sign-off on anything this size; we still need budget approval.",
         "The budget sits with the {eb}. They'll approve once the business case is in.",
         "It goes to the {eb} for approval. I haven't set up that meeting yet."),
        "Economic buyer: {eb} (approval pending)"),
    "eb_validated": (
        ("Where are we with the budget?", "Has the {eb} weighed in?"),
        ("The {eb} already agreed the budget, so funding is not the issue.",
         "I walked the {eb} through the numbers last week and they approved the spend in principle.",
         "Budget is approved by the {eb}; they want to see the final order form."),
        "Economic buyer: {eb} has approved budget"),
    "eb_unknown": (
        ("Who else needs to approve this?",),
        ("Honestly I'm not sure yet who signs off on something like this.",
         "We haven't figured out whose budget this comes from."),
        "Risk: economic buyer not identified"),
    "process": (
        ("What does the approval process look like?", "Walk me through how a decision gets made."),
        ("The process is a POC, then an architecture review, then the exec team signs off.",
         "The data team makes a recommendation and the {eb} approves it.",
         "We run a short RFP with technical scoring, then leadership decides."),
        "Decision process: POC, architecture review, executive approval"),
    "legal": (
        ("Where are we with legal and security?", "Anything needed from us on the security side?"),
        ("Legal is reviewing your MSA now; expect redlines next week.",
         "Our security team needs the SOC 2 report and a completed security questionnaire.",
         "The security review usually takes three to four weeks, so let's start it now.",
         "Legal had a few comments on the DPA and liability caps."),
        "Legal/security review in progress"),
    "paper": (
        ("What happens after legal signs off?", "How does procurement work on your side?"),
        ("Once legal is done it goes to procurement to raise the PO.",
         "Procurement wants the order form on our paper, not yours.",
         "We need to set you up as a vendor first, then procurement issues the purchase order.",
         "Procurement will ask for a multi-year discount before they sign."),
        "Paper process: procurement/PO after legal"),
    "timeline": (
        ("What's the timeline you're working towards?", "When do you need this live?"),
        ("We want to be live before the end of {q}.", "Target go-live is in about eight weeks.",
         "Our current contract renews at the end of {nq}, so that's the real deadline.",
         "Ideally we sign this quarter and start the migration in {nq}."),
        "Timeline: decision targeted for {q}"),
    "champion": (
        ("How is the team feeling about the results so far?", "How did the leadership readout go?"),
        ("I'm a big fan of what we saw in the POC and I'll push this internally.",
         "I already shared the benchmark with my leadership; they were impressed.",
         "You can count on me to champion this with the {eb}.",
         "The engineers love it. I'm going to make the case in our planning meeting."),
        "Champion engaged and selling internally"),
    "risk_budget": (
        ("Is there anything that could slow this down?", "Any risks we should know about?"),
        ("Heads up: there's a budget freeze on new spend until the board meeting.",
         "Realistically this might be pushing to next quarter; finance wants to revisit the numbers.",
         "The {eb} asked us to re-run the business case, so approval could slip into {nq}.",
         "We had a reorg and priorities shifted, so timing is less certain."),
        "Risk: budget/approval timing may slip to {nq}"),
    "risk_comp": (
        ("Anything changed since last time?",),
        ("We are evaluating {comp} too, and they're being very aggressive on price.",
         "{comp} offered free credits for a year, which is hard to ignore.",
         "Some of our architects still want to stick with {comp}."),
        "Risk: competitive pressure from {comp}"),
    "expansion": (
        ("Are there other teams that could benefit?",),
        ("Yes, two other teams have similar use cases, probably another ${k}K on top.",
         "If this works, marketing analytics wants in as well; that could be ${k}K more."),
        "Upside: additional use cases worth about ${k}K"),
}
_FILLER = (
    ("How do you load data today?", "Mostly batch through Airflow, plus a Kafka stream for events."),
    ("Does it work with dbt?", "That's important, all our models are in dbt."),
    ("How many concurrent users do you expect?", "A few hundred internally, thousands through the product."),
    ("What does your data volume look like?", "Around forty terabytes today, growing fast."),
    ("Do you need SSO?", "Yes, Okta, and role-based access per customer tenant."),
    ("Which queries are slowest today?", "The big joins behind our customer dashboards."),
)
_OPENERS = ("Thanks for making time today, {first}.", "Good to see everyone again.",
            "Appreciate you joining on short notice.", "Hi all, thanks for joining.")
_REPLIES = ("Happy to. It's been a busy week.", "Sure, glad we could find a slot.", "Thanks, good to be here.",
            "No problem, let's dive in.")
_AGENDA = {
    "Discovery call": "I'd like to understand your current setup and what you're trying to achieve.",
    "Qualification call": "Let's confirm the use case, the people involved and the timeline.",
    "Technical deep-dive": "Today is about architecture and the workloads we'd test.",
    "POC review": "Let's go through the POC results and agree what's left.",
    "Business case review": "I want to pressure-test the business case before it goes to finance.",
    "Negotiation sync": "Let's go through commercials, legal and the path to signature.",
    "Customer check-in": "Quick check-in on how things are going and what's next.",
}
_NEXT = ("I'll send the business case draft by Friday.", "Let's book the technical deep-dive with your architects.",
         "I'll get our legal team's redlines back within 48 hours.", "I'll share the SOC 2 report and security pack today.",
         "Let's schedule time with the {eb} next week.", "I'll send a recap and a mutual action plan.",
         "We'll set up the POC environment this week.", "I'll send updated pricing for a two-year term.")
_KIND_BY_STAGE = ("Discovery call", "Qualification call", "Technical deep-dive", "Business case review",
                  "Negotiation sync")


def _fill(text: str, v: dict) -> str:
    for key, val in v.items():
        text = text.replace("{" + key + "}", str(val))
    return text


def _build_call(rng: random.Random, deal: dict, people: list[tuple[str, str]], rep: tuple[str, str],
                kind: str, stage_i: int, extra: list[tuple[str, str]] | None = None,
                force: tuple[str, ...] = ()) -> dict:
    """One call: title, participants, brief, key points, next steps and a 'Name: text' transcript."""
    comps = [c for c in (deal.get("competitors") or "").split(",") if c]
    if not comps and rng.random() < 0.1:
        comps = [rng.choice(COMPETITORS)]          # a competitor named on the call but not logged in the CRM
    eb = rng.choice(("CFO", "VP of Finance", "CTO", "VP of Engineering")) if not deal.get("eb") else deal["eb"]
    v = dict(comp=comps[0] if comps else "", comp2=comps[1] if len(comps) > 1 else "", acct=deal["account"], eb=eb,
             pct=rng.choice((25, 30, 35, 40, 45, 50)), k=rng.choice((150, 200, 250, 300, 400, 500)),
             q=deal["q"], nq=deal["nq"], vendor=VENDOR, first=people[0][0].split()[0])
    st = deal.get("status", {})
    sigs: list[str] = []
    if stage_i <= 1 or rng.random() < 0.5:
        sigs.append("pain")
    if st.get("metrics", "Unknown") != "Unknown" or rng.random() < 0.3:
        sigs.append("metrics")
    if comps:
        sigs.append("competitor")
    if st.get("decision_criteria", "Unknown") != "Unknown" and stage_i >= 1:
        sigs.append("criteria")
    ebs = st.get("economic_buyer", "Unknown")
    if ebs in ("Validated", "Leveraged"):
        sigs.append("eb_validated")
    elif ebs == "Identified":
        sigs.append("eb_identified")
    elif stage_i >= 2:
        sigs.append("eb_unknown")
    if st.get("decision_making_process", "Unknown") != "Unknown":
        sigs.append("process")
    if stage_i >= 3 or st.get("paper_process", "Unknown") != "Unknown" and stage_i >= 2:
        sigs.append("legal")
    if stage_i >= 4 or (st.get("paper_process", "Unknown") in ("Validated", "Leveraged") and stage_i >= 3):
        sigs.append("paper")
    sigs.append("timeline")
    if st.get("champion", "Unknown") in ("Validated", "Leveraged"):
        sigs.append("champion")
    if deal.get("risky") or rng.random() < 0.15:
        sigs.append("risk_budget")
    if comps and rng.random() < 0.25:
        sigs.append("risk_comp")
    if deal.get("customer") or rng.random() < 0.1:
        sigs.append("expansion")
    for f in force:
        if f not in sigs:
            sigs.append(f)
    ae = rep[0]
    cust = people[0][0]
    other = people[1][0] if len(people) > 1 else cust
    turns = [(ae, _fill(rng.choice(_OPENERS), v)), (cust, rng.choice(_REPLIES)),
             (ae, _AGENDA.get(kind, _AGENDA["Customer check-in"]))]
    points = []
    for s in sigs:
        qs, ans, kp = _SIG[s]
        speaker = cust
        turns.append((ae, _fill(rng.choice(qs), v)))
        turns.append((speaker, _fill(rng.choice(ans), v)))
        points.append("- " + _fill(kp, v))
    for role, text in extra or []:
        turns.append((ae if role == "ae" else (other if role == "other" else cust), _fill(text, v)))
    fillers = list(_FILLER)
    rng.shuffle(fillers)
    while len(turns) < 10 and fillers:
        q, a_ = fillers.pop()
        turns.insert(3, (cust, a_))
        turns.insert(3, (ae, q))
    nxt = _fill(rng.choice(_NEXT), v)
    turns += [(ae, "Next steps: " + nxt), (cust, rng.choice(("Sounds good.", "Works for me.", "Great, thanks."))),
              (ae, "Thanks everyone, talk soon.")]
    if len(turns) > 30:
        turns = turns[:27] + turns[-3:]
    participants = [f"{ae} ({VENDOR} {rep[1]})"] + [f"{n} ({deal['account']} - {t})" for n, t in people]
    brief = (f"{kind} with {deal['account']}" + (f" on {deal['opp']}" if deal.get("opp") else "") + ". "
             + "; ".join(p[2:] for p in points[:3]) + ".")
    return dict(title=f"{deal['account']} / {VENDOR} - {kind}", participants=",".join(participants), brief=brief,
                key_points="\n".join(points), next_steps=nxt, duration=rng.choice((25, 30, 30, 45, 45, 60)),
                transcript="".join(f"{s}: {t}\n" for s, t in turns))


def _when(rng: random.Random, day: dt.date) -> dt.datetime:
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(rng.randint(9, 16), rng.choice((0, 15, 30, 45))))


_IXIS_CALLS = (  # (days before as_of, kind, speakers, turns); speakers: S=AE, R=champion, D=CFO, A=legal, E=procurement, T=security
    (140, "Discovery call", "SR", (
        ("S", "Thanks for making time today, Raj."),
        ("R", "Happy to. This one is a priority for us."),
        ("S", "I'd like to understand your current setup and what you're trying to achieve."),
        ("R", "We run everything on Snowflake. The problem is Snowflake costs: the bill has grown about 40% in a year, "
              "much faster than our revenue."),
        ("S", "Where does it hurt most, cost or performance?"),
        ("R", "Both. Our customer-facing dashboards take twelve seconds at peak and we keep scaling up warehouses."),
        ("S", "How would you measure success?"),
        ("R", "Cut the Snowflake spend by at least a third and keep dashboards under one second."),
        ("S", "Who else would be involved in a decision like this?"),
        ("R", "I'd run the evaluation. Any spend this size needs budget approval from our CFO, Dana Lee."),
        ("S", "And the timeline?"),
        ("R", "Our Snowflake commitment renews next year, so we'd like a decision before the end of {q}."),
        ("S", "Next steps: I'll set up a technical deep-dive and share a POC plan."),
        ("R", "Sounds good."),
    )),
    (75, "POC review", "SRT", (
        ("S", "Good to see everyone again. Let's go through the POC results."),
        ("R", "The short version: on our top fifty queries we're under a second at 300 concurrent users."),
        ("S", "How does that compare to Snowflake today?"),
        ("R", "On Snowflake the same dashboards run eight to twelve seconds, and we'd need a bigger warehouse "
              "to match the concurrency, which means even higher Snowflake costs."),
        ("T", "From security, we need the SOC 2 report and the questionnaire before this goes further."),
        ("S", "I'll send the security pack today."),
        ("S", "What are the decision criteria from here?"),
        ("R", "Price-performance on production workloads, dbt compatibility and SSO. You pass all three."),
        ("R", "I'm a big fan of what we saw. I'll build the business case for Dana, our CFO."),
        ("S", "Who signs off after the CFO?"),
        ("R", "Nobody; the CFO is the economic buyer. Then legal reviews the MSA and procurement raises the PO."),
        ("S", "Next steps: business case draft together, then a readout with the CFO."),
        ("R", "Works for me."),
    )),
    (30, "Business case review", "SRT", (
        ("S", "Thanks for joining. I want to pressure-test the business case before it goes to finance."),
        ("R", "Sure. The headline is Snowflake costs: we spend about $2.4M a year and it grows every quarter."),
        ("S", "And with us?"),
        ("R", "Our model shows roughly 45% lower cost for the same workloads, plus sub-second dashboards."),
        ("S", "Has Dana seen the numbers yet?"),
        ("R", "Not yet. The CFO approves the budget; I'm presenting to her next month. She's cautious about new "
              "commitments this year."),
        ("T", "Security review is complete, no open items from my side."),
        ("S", "Great. Anything we need to start with legal?"),
        ("R", "Yes, please send the MSA so legal review can start in parallel."),
        ("R", "Also, our fraud analytics and customer success teams saw the demo. That's additional use cases "
              "worth about $500K a year on top."),
        ("S", "That's great. Let's scope those as a second phase."),
        ("S", "Next steps: I'll send the MSA today and refine the TCO versus Snowflake."),
        ("R", "Perfect."),
    )),
    (2, "Negotiation sync", "SRAE", (
        ("S", "Thanks, everyone. Let's go through commercials, legal and the path to signature."),
        ("R", "Quick update: the POC numbers held up and the Snowflake cost comparison is what everyone talks "
              "about internally."),
        ("S", "Where does budget approval stand with Dana?"),
        ("R", "Dana, our CFO, still has to sign off. She's supportive, but she asked finance to re-run the model, "
              "so realistically the budget approval may move to next quarter, {nq}."),
        ("S", "What would help her approve it this quarter?"),
        ("R", "A clear three-year view of Snowflake savings. Snowflake also came back with a renewal discount, "
              "so she'll compare both."),
        ("A", "On the legal side, we're in the middle of the MSA review. I sent redlines on liability and the DPA "
              "yesterday."),
        ("S", "Our counsel will turn those around within 48 hours."),
        ("E", "Procurement can raise the PO as soon as legal and the CFO are done; the paper process is ready."),
        ("R", "And the additional use cases from fraud analytics and customer success are real: about $500K more "
              "ARR if phase one goes well."),
        ("S", "Understood. Next steps: updated TCO versus Snowflake by Thursday, legal redlines back, and a "
              "meeting with Dana before the quarter closes."),
        ("R", "I'll push for the meeting with Dana."),
        ("S", "Thanks all, talk soon."),
    )),
)


def _calls(con, ctx: _Ctx, users: list[tuple]) -> list[tuple]:
    rng = random.Random(f"revops-calls:{ctx.seed}")
    uname = {u[0]: u[1] for u in users}
    urole = {u[0]: u[3] for u in users}
    q, nq = _spoken_quarter(ctx.q_start), _spoken_quarter(ctx.nq_start)
    rows: list[tuple] = []

    def add(acc, opp, lead, when, owner, c):
        rows.append((f"CALL-{len(rows) + 1:06d}", acc, opp, lead, when, c["duration"], c["title"], owner,
                     c["participants"], c["brief"], c["key_points"], c["next_steps"], c["transcript"]))

    # IXIS: scripted calls
    ppl = {p[0][0]: (f"{p[0]} {p[1]}", p[2]) for p in _NAMED_PEOPLE["IXIS Technologies"]}
    who = {"S": ("Sarah Johnson", "AE"), "R": ppl["R"], "D": ppl["D"], "A": ppl["A"], "E": ppl["E"], "T": ppl["T"]}
    for days, kind, speakers, turns in _IXIS_CALLS:
        v = dict(q=q, nq=nq)
        transcript = "".join(f"{who[s][0]}: {_fill(t, v)}\n" for s, t in turns)
        parts = [f"Sarah Johnson ({VENDOR} AE)"] + [f"{who[s][0]} (IXIS Technologies - {who[s][1]})"
                                                    for s in speakers if s != "S"]
        points = {
            "Discovery call": ["- Pain: Snowflake costs up ~40% in a year; slow customer dashboards",
                               "- Economic buyer: CFO Dana Lee (budget approval)", f"- Timeline: decision in {q}"],
            "POC review": ["- POC: sub-second at 300 concurrent users vs 8-12 s on Snowflake",
                           "- Decision criteria: price-performance, dbt, SSO", "- Security review requested"],
            "Business case review": ["- Business case: ~45% lower cost than Snowflake",
                                     "- CFO has not seen the numbers yet", "- Legal review of MSA starting",
                                     "- Upside: additional use cases worth about $500K"],
            "Negotiation sync": [f"- Risk: CFO budget approval may slip to next quarter ({nq})",
                                 "- Legal: MSA redlines (liability, DPA) in review",
                                 "- Competition: Snowflake renewal discount",
                                 "- Upside: additional use cases worth about $500K ARR"],
        }[kind]
        c = dict(duration=rng.choice((30, 45, 60)), title=f"IXIS Technologies / {VENDOR} - {kind}",
                 participants=",".join(parts),
                 brief=f"{kind} with IXIS Technologies on IXIS - Snowflake Cost Replacement. "
                       + "; ".join(p[2:] for p in points[:2]) + ".",
                 key_points="\n".join(points), next_steps=_fill(turns[-3][1] if kind != "Negotiation sync"
                                                                else turns[-3][1], v), transcript=transcript)
        add("ACC-000001", "OPP-0000001", None, _when(rng, ctx.as_of - dt.timedelta(days=days)), "USR-0001", c)

    # other named deals: generic builder with their CRM facts
    named_deals = (  # opp, acc, account, opp name, stage_i, owner, competitors, statuses, call days, customer, force
        ("OPP-0000004", "ACC-000004", "Acme Corp", "Acme Corp - Analytics Platform", 3, "USR-0002", "Databricks",
         dict(metrics="Validated", economic_buyer="Identified", decision_criteria="Validated", champion="Validated",
              decision_making_process="Identified"), (80, 40, 6), False),
        ("OPP-0000002", "ACC-000002", "DataCorp", "DataCorp Expansion", 4, "USR-0002", "Databricks",
         dict(metrics="Validated", economic_buyer="Validated", champion="Leveraged", paper_process="Validated",
              decision_criteria="Validated"), (35, 4), True),
        ("OPP-0000006", "ACC-000006", "TechFlow", "TechFlow Migration", 3, "USR-0002", "Redshift",
         dict(metrics="Validated", economic_buyer="Identified", champion="Validated", decision_criteria="Validated"),
         (50, 3), False),
        ("OPP-0000005", "ACC-000005", "Microsoft", "Microsoft Enterprise", 2, "USR-0003", "Databricks",
         dict(economic_buyer="Identified"), (9,), False),
        ("OPP-0000003", "ACC-000003", "TechCorp", "TechCorp - Platform Evaluation", 2, "USR-0002", "Redshift,ClickHouse",
         dict(economic_buyer="Identified", champion="Identified"), (26,), False),
    )
    for opp, acc, account, oname, stage_i, owner, comps, status, days_list, customer in named_deals:
        people = [(f"{p[0]} {p[1]}", p[2]) for p in _NAMED_PEOPLE[account]]
        for j, days in enumerate(days_list):
            s_i = max(0, stage_i - (len(days_list) - 1 - j))
            deal = dict(account=account, opp=oname, competitors=comps, status=status, q=q, nq=nq,
                        customer=customer, risky=False,
                        eb={"Acme Corp": "CFO", "DataCorp": "VP of Finance", "TechFlow": "Finance Director",
                            "Microsoft": "GM of Data Platform", "TechCorp": "CTO"}[account])
            extra, force = None, ()
            if account == "Acme Corp" and j == len(days_list) - 1:
                extra = [("cust", "We're down to three options: you, Databricks and Snowflake."),
                         ("ae", "What would make you pick one over the others?"),
                         ("cust", "Databricks is strong for our data science team, Snowflake is what finance knows, "
                                  "and you win on dashboard speed. The CFO will decide on three-year cost.")]
            kind = _KIND_BY_STAGE[s_i] if not customer else ("Customer check-in" if j == 0 else "Negotiation sync")
            c = _build_call(rng, deal, people[:2] if j % 2 == 0 else people[-2:], (uname[owner], "AE"), kind, s_i,
                            extra, force)
            add(acc, opp, None, _when(rng, ctx.as_of - dt.timedelta(days=days)), owner, c)

    # John Smith (DataCorp) SDR discovery call
    deal = dict(account="DataCorp", opp=None, competitors="Snowflake", status={}, q=q, nq=nq, customer=False,
                risky=False, eb=None)
    c = _build_call(rng, deal, [("John Smith", "VP of Data Engineering")], (uname["USR-0008"], "SDR"),
                    "Discovery call", 0,
                    [("ae", "How are you handling real-time analytics at DataCorp today, with your Snowflake setup?"),
                     ("cust", "Mostly micro-batches into Snowflake with dbt on top. It works, but it gets expensive "
                              "and slow as we add customers.")], ("pain",))
    add(None, None, "LEAD-000001", _when(rng, ctx.as_of), "USR-0008", c)

    # generic deals: sample weighted towards open late-stage deals
    deals = con.execute(f"""
        WITH sel AS (
            SELECT o.*, a.name AS account, a.account_type
            FROM opportunities o JOIN accounts a USING (account_id)
            WHERE o.opportunity_id > 'OPP-{len(_named_opportunities(ctx)[0]):07d}'
            ORDER BY rnd(hash(o.opportunity_id), 'callsel') * CASE WHEN NOT o.is_closed AND o.probability >= 40 THEN 1.0
                     WHEN NOT o.is_closed THEN 0.55 ELSE 0.3 END DESC, o.opportunity_id
            LIMIT {ctx.n_call_deals}
        ), h AS (
            SELECT opportunity_id, count(*) FILTER (WHERE from_stage = to_stage) AS pushes,
                   max(CASE WHEN to_stage LIKE 'Closed%' THEN from_stage END) AS last_open_stage
            FROM opportunity_stage_history WHERE opportunity_id IN (SELECT opportunity_id FROM sel) GROUP BY 1
        )
        SELECT sel.opportunity_id, sel.account_id, sel.account, sel.name, sel.stage, sel.is_closed, sel.created_date,
               sel.close_date, sel.last_activity_date, sel.owner_id, sel.competitors, sel.account_type,
               coalesce(h.pushes, 0), h.last_open_stage,
               {", ".join(f"sel.{f}_status" for f in MEDDPICC_FIELDS)}, sel.economic_buyer
        FROM sel LEFT JOIN h USING (opportunity_id) ORDER BY sel.opportunity_id
    """).fetchall()
    accs = sorted({d[1] for d in deals})
    people: dict[str, list[tuple[str, str]]] = {}
    if accs:
        for acc, name, title in con.execute(
                "SELECT account_id, name, title FROM contacts WHERE list_contains(?, account_id) "
                "ORDER BY account_id, NOT is_primary, contact_id", [accs]).fetchall():
            people.setdefault(acc, []).append((name, title))
    for d in deals:
        (oid, acc, account, oname, stage, closed, created, close, last, owner, comps, atype, pushes, last_open,
         *rest) = d
        statuses = dict(zip(MEDDPICC_FIELDS, rest[:8]))
        eb_text = rest[8]
        final_i = OPEN_STAGES.index(last_open) if closed and last_open in OPEN_STAGES else (
            OPEN_STAGES.index(stage) if stage in OPEN_STAGES else 4)
        n = rng.choice((2, 3, 4) if final_i >= 3 else (1, 2, 3) if final_i == 2 else (1, 2))
        end = last if not closed else close - dt.timedelta(days=rng.randint(0, 10))
        end = min(max(end, created), ctx.as_of)
        dates = [end]
        for _ in range(n - 1):
            dates.append(max(created, dates[-1] - dt.timedelta(days=rng.randint(7, 21))))
        dates.reverse()
        ppl = people.get(acc) or [("Alex Morgan", "Head of Data")]
        stale = not closed and (ctx.as_of - last).days >= 21
        deal = dict(account=account, opp=oname, competitors=comps, status=statuses, q=q, nq=nq,
                    customer=atype == "customer", risky=pushes > 0 or stale,
                    eb=eb_text.split(" (")[0] if eb_text else None)
        for j, day in enumerate(dates):
            s_i = max(0, final_i - (n - 1 - j))
            kind = _KIND_BY_STAGE[s_i]
            if s_i == 2 and rng.random() < 0.5:
                kind = "POC review"
            sub = ppl[:2] if j % 2 == 0 or len(ppl) < 3 else [ppl[0], ppl[2]]
            c = _build_call(rng, deal, sub, (uname.get(owner, "Account Executive"), "AE"), kind, s_i)
            add(acc, oid, None, _when(rng, day), owner, c)

    # lead discovery calls (~10% of calls)
    n_lead_calls = max(3, len(rows) // 9)
    leads = con.execute(f"""
        SELECT l.lead_id, l.name, l.title, l.company, l.owner_id, l.last_activity_date, cr.tech_stack
        FROM leads l LEFT JOIN company_research cr ON cr.company_name = l.company
        WHERE l.status IN ('Working', 'MQL', 'SQL') AND l.lead_id > 'LEAD-000003'
        ORDER BY rnd(hash(l.lead_id), 'leadcall'), l.lead_id LIMIT {n_lead_calls}
    """).fetchall()
    for lid, name, title, company, owner, last, stack in sorted(leads):
        comp = next((c for c in (stack or "").split(",") if c in COMPETITORS), None)
        deal = dict(account=company, opp=None, competitors=comp, status={}, q=q, nq=nq, customer=False, risky=False,
                    eb=None)
        c = _build_call(rng, deal, [(name, title)], (uname.get(owner, "SDR"), urole.get(owner, "SDR")),
                        "Discovery call", 0)
        add(None, None, lid, _when(rng, last), owner, c)
    return rows


CALL_COLUMNS = ["call_id", "account_id", "opportunity_id", "lead_id", "started_at", "duration_minutes", "title",
                "owner_id", "participants", "brief", "key_points", "next_steps", "transcript"]
TABLES: tuple[str, ...] = ("accounts", "users", "opportunities", "opportunity_stage_history", "contacts", "leads",
                           "calls", "usage_daily", "billing_monthly", "targets", "company_research")


def _named_rows(ctx: _Ctx) -> dict[str, list[tuple]]:
    a = ctx.as_of
    d = lambda n: dt.timedelta(days=n)  # noqa: E731
    accounts = _named_accounts(ctx)
    created = {r[1]: (r[0], r[2], r[14]) for r in accounts}
    contacts = []
    for name in _NAMED_ACCOUNTS:
        acc_id, domain, acc_created = created[name]
        for j, (first, last, title, dept, sen) in enumerate(_NAMED_PEOPLE[name]):
            contacts.append((f"CON-{len(contacts) + 1:07d}", acc_id, first, last, f"{first} {last}", title, dept, sen,
                             _email(first, last, domain), j == 0, acc_created + d(30 + 20 * j)))
    leads = [
        ("LEAD-000001", "John", "Smith", "John Smith", "VP of Data Engineering", "VP", "Data", "john.smith@datacorp.io",
         "DataCorp", "datacorp.io", "Software", 350, "NA", "Webinar", "MQL", ctx.week_start, "USR-0008",
         14, 6, 11, 3, 1, a, None),
        ("LEAD-000002", "Michael", "Chen", "Michael Chen", "Chief Data Officer", "C-Level", "Executive",
         "michael.chen@enterprisesolutions.com", "Enterprise Solutions", "enterprisesolutions.com",
         "Professional Services", 5500, "NA", "Event", "Working", a - d(40), "USR-0008", 9, 2, 5, 1, 1, a - d(6), None),
        ("LEAD-000003", "Lisa", "Wang", "Lisa Wang", "Head of Data Platform", "Director", "Data", "lisa.wang@cloudtech.ai",
         "CloudTech", "cloudtech.ai", "Software", 180, "APAC", "Website", "New", max(ctx.week_start, a - d(2)),
         "USR-0008", 4, 1, 6, 1, 0, a, None),
    ]
    research = [(c["name"], c["domain"], c["industry"], c["employees"], employee_range(c["employees"]),
                 c["funding_stage"], c["total_funding"], c["headquarters"], c["founded_year"], c["tech_stack"],
                 c["description"], c["recent_news"], f"https://www.{c['domain']}/about", a - d(7))
                for c in _named_companies(ctx)]
    opps, hist = _named_opportunities(ctx)
    return dict(accounts=accounts, contacts=contacts, leads=leads, company_research=research, opportunities=opps,
                opportunity_stage_history=hist)


def _schema_sql() -> str:
    return (Path(__file__).parent / "schema.sql").read_text(encoding="utf-8")


GENERATE_STEPS = 9     # the calls `generate` makes to `on_step`, for a progress bar's total


def generate(path: Path, *, scale: float = 1.0, seed: int = 42, as_of: dt.date,
             on_step: Callable[[str], None] | None = None) -> dict[str, int]:
    """Build the demo warehouse at `path` (DuckDB file) and return row counts per table.
    `on_step(name)` is called after each of its GENERATE_STEPS steps (the CLI's progress bar)."""
    step = on_step or (lambda name: None)
    from revops_cli.errors import UsageError
    from revops_cli.warehouse.duckdb_file import written_atomically

    if isinstance(as_of, dt.datetime):
        as_of = as_of.date()
    if not isinstance(as_of, dt.date):
        raise UsageError(f"as_of must be a date, not {as_of!r}", "pass a datetime.date")
    try:
        scale = float(scale)
    except (TypeError, ValueError):
        raise UsageError(f"scale must be a number, not {scale!r}", "e.g. --scale 1 or --scale 0.2") from None
    if not (scale > 0 and math.isfinite(scale)) or scale > 5000:
        raise UsageError(f"scale must be > 0 and <= 5000, not {scale:g}", "e.g. --scale 1 or --scale 0.2")
    seed = int(seed)
    ctx = _Ctx(scale, seed, as_of)
    with written_atomically(Path(path), "demo data generation") as con:
        con.execute(_schema_sql())
        _macros(con, seed)
        step("schema")
        taken = set(_RESERVED_NAMES)
        users = _users(ctx, taken)
        _insert(con, "users", ["user_id", "name", "email", "role", "team", "region", "manager_id", "slack_user_id"],
                users)
        step("users")
        named = _named_rows(ctx)
        step("named accounts and deals")
        _insert(con, "accounts", ACCOUNT_COLUMNS, named["accounts"])
        _insert(con, "opportunities", OPP_COLUMNS, named["opportunities"])
        _insert(con, "opportunity_stage_history", HISTORY_COLUMNS, named["opportunity_stage_history"])
        _insert(con, "contacts", ["contact_id", "account_id", "first_name", "last_name", "name", "title", "department",
                                  "seniority", "email", "is_primary", "created_date"], named["contacts"])
        _insert(con, "leads", ["lead_id", "first_name", "last_name", "name", "title", "seniority", "department",
                               "email", "company", "company_domain", "industry", "employees", "region", "source",
                               "status", "created_date", "owner_id", "email_opens", "email_clicks", "web_visits",
                               "content_downloads", "events_attended", "last_activity_date", "converted_account_id"],
                named["leads"])
        _insert(con, "company_research", ["company_name", "domain", "industry", "employees", "employee_range",
                                          "funding_stage", "total_funding", "headquarters", "founded_year",
                                          "tech_stack", "description", "recent_news", "source_url", "updated_at"],
                named["company_research"])
        step("named rows written")
        _bulk(con, ctx, len(named["accounts"]), len(named["opportunities"]), len(named["contacts"]),
              len(named["leads"]))
        step("bulk rows")
        _insert(con, "calls", CALL_COLUMNS, _calls(con, ctx, users))
        step("calls")
        _movement(con, ctx)
        _hygiene_gaps(con)
        _targets(con, ctx)
        step("targets")
        _cluster(con)
        step("stage history ordered")
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    step("written")
    return counts


def _movement(con, ctx: _Ctx) -> None:
    """Week-to-week movement in the open pipeline's history, as a forecast call sees it: over the last three
    weeks some open deals changed amount (up or down), had their close date pulled in, slipped out of the
    current quarter, or went a stage forward and back again. One kind per deal (`rnd(i, 'mv')`); the deal's
    current row in `opportunities` never changes - only its history: the rows before the event carry the
    old amount or close date, and the event is one more row (an amount change keeps stage and close date).
    Runs after the calls, so every other table stays as the seed made it."""
    A, QE = _lit(ctx.as_of), _lit(ctx.q_end)
    room = max(1, (ctx.q_end - ctx.as_of).days - 4)
    con.execute(f"""
    CREATE TEMP TABLE mv AS
    WITH last AS (
        SELECT opportunity_id, max(changed_at) AS last_at,
               max(CASE WHEN from_stage IS DISTINCT FROM to_stage THEN changed_at END) AS last_move
        FROM opportunity_stage_history GROUP BY 1
    ), c AS (
        SELECT g.opportunity_id, g.i, g.stage_idx, g.close_date, g.created_date, g.amount, g.owner_id, l.last_at,
               l.last_move, rnd(g.i, 'mv') AS u,
               (dplus({A}, -1 - rint(g.i, 'mvd', CASE WHEN rnd(g.i, 'mv') BETWEEN 0.26 AND 0.36 THEN 14 ELSE 21 END))
                + INTERVAL 15 HOUR + INTERVAL 30 MINUTE) AS t
        FROM opp_gen g JOIN last l USING (opportunity_id)
        WHERE NOT g.is_closed
    ), k AS (
        SELECT c.*,
            CASE WHEN u < 0.16 THEN 'amount' WHEN u < 0.26 THEN 'pull'
                 WHEN u < 0.36 AND close_date > {QE} THEN 'slip'
                 WHEN u >= 0.36 AND u < 0.50 AND stage_idx BETWEEN 1 AND 3 AND last_at < dplus({A}, -12) THEN 'back'
                 END AS kind
        FROM c WHERE t::DATE > created_date
    ), at_t AS (
        SELECT k.opportunity_id, arg_max(h.to_stage, h.changed_at) AS stage_t,
               arg_max(h.new_close_date, h.changed_at) AS close_t,
               max(CASE WHEN h.from_stage IS DISTINCT FROM h.to_stage THEN h.changed_at END) AS move_t
        FROM k JOIN opportunity_stage_history h ON h.opportunity_id = k.opportunity_id AND h.changed_at < k.t
        WHERE k.kind IN ('amount', 'pull', 'slip')
        GROUP BY 1
    )
    SELECT k.*, a.stage_t, a.close_t, a.move_t,
        CASE WHEN kind = 'amount' THEN round(amount * CASE WHEN rnd(i, 'mvup') < 0.55 THEN 0.6 + 0.3 * rnd(i, 'mvf')
                                                        ELSE 1.1 + 0.4 * rnd(i, 'mvf') END / 1000) * 1000.0 END
            AS old_amount,
        CASE WHEN kind = 'pull' THEN 10 + rint(i, 'mvx', 35)
             WHEN kind = 'slip' THEN date_diff('day', a.close_t, dplus({QE}, -rint(i, 'mvx', {room}))) END AS shift
    FROM k LEFT JOIN at_t a USING (opportunity_id)
    WHERE kind IS NOT NULL AND (kind = 'back' OR a.stage_t IS NOT NULL)
      AND (kind <> 'slip' OR a.close_t > {QE})
    """)
    stages = _lit(list(OPEN_STAGES))
    con.execute(f"""
    INSERT INTO opportunity_stage_history
    SELECT opportunity_id, t, stage_t, stage_t, date_diff('day', move_t, t),
        CASE WHEN kind = 'amount' THEN close_t ELSE dplus(close_t, shift) END, close_t, amount, owner_id
    FROM mv WHERE kind IN ('amount', 'pull', 'slip')
    UNION ALL
    SELECT opportunity_id, t1, {stages}[stage_idx + 1], {stages}[stage_idx + 2], date_diff('day', last_move, t1),
        close_date, close_date, amount, owner_id
    FROM (SELECT *, greatest(last_at::DATE + 1, dplus({A}, -20 + rint(i, 'mvb1', 5)))
                    + INTERVAL 14 HOUR + INTERVAL 30 MINUTE AS t1 FROM mv WHERE kind = 'back')
    UNION ALL
    SELECT opportunity_id, t2, {stages}[stage_idx + 2], {stages}[stage_idx + 1], date_diff('day', t1, t2),
        close_date, close_date, amount, owner_id
    FROM (SELECT *, greatest(last_at::DATE + 1, dplus({A}, -20 + rint(i, 'mvb1', 5)))
                    + INTERVAL 14 HOUR + INTERVAL 30 MINUTE AS t1,
                 dplus({A}, -1 - rint(i, 'mvb2', 7)) + INTERVAL 13 HOUR + INTERVAL 30 MINUTE AS t2
          FROM mv WHERE kind = 'back')
    WHERE t1 < t2
    """)
    con.execute("""
    UPDATE opportunity_stage_history h SET amount = mv.old_amount
    FROM mv WHERE mv.kind = 'amount' AND h.opportunity_id = mv.opportunity_id AND h.changed_at < mv.t
    """)
    con.execute("""
    UPDATE opportunity_stage_history h SET old_close_date = dplus(h.old_close_date, mv.shift),
                                           new_close_date = dplus(h.new_close_date, mv.shift)
    FROM mv WHERE mv.kind IN ('pull', 'slip') AND h.opportunity_id = mv.opportunity_id AND h.changed_at < mv.t
    """)
    con.execute("DROP TABLE mv")


def _hygiene_gaps(con) -> None:
    """What pipeline hygiene (revops report hygiene) finds in a real CRM: a few open deals with no next step
    written (`rnd(i, 'nns')`), and a few whose history jumped a stage - Discovery straight to Technical
    Validation, the Qualification move gone and its days counted in the next (`rnd(i, 'skip')`). Only those
    deals' next step and history change; every other table stays as the seed made it."""
    con.execute("""
    UPDATE opportunities o SET next_step = NULL FROM opp_gen g
    WHERE g.opportunity_id = o.opportunity_id AND NOT g.is_closed AND rnd(g.i, 'nns') < 0.06
    """)
    con.execute("""
    CREATE TEMP TABLE sk AS
    SELECT q.opportunity_id, q.days_in_stage
    FROM opp_gen g
    JOIN opportunity_stage_history q ON q.opportunity_id = g.opportunity_id
         AND q.from_stage = 'Discovery' AND q.to_stage = 'Qualification'
    JOIN opportunity_stage_history t ON t.opportunity_id = g.opportunity_id
         AND t.from_stage = 'Qualification' AND t.to_stage = 'Technical Validation'
    WHERE NOT g.is_closed AND g.stage_idx >= 2 AND rnd(g.i, 'skip') < 0.08
      -- the history stays one chain: the removed move changed no close date, and no other row (an amount
      -- change made by _movement) stands in Qualification
      AND q.old_close_date IS NOT DISTINCT FROM q.new_close_date
      AND NOT EXISTS (SELECT 1 FROM opportunity_stage_history x
                      WHERE x.opportunity_id = g.opportunity_id
                        AND (x.from_stage = 'Qualification' OR x.to_stage = 'Qualification')
                        AND NOT (x.from_stage = 'Discovery' AND x.to_stage = 'Qualification')
                        AND NOT (x.from_stage = 'Qualification' AND x.to_stage = 'Technical Validation'))
    """)
    con.execute("""
    UPDATE opportunity_stage_history h SET from_stage = 'Discovery', days_in_stage = h.days_in_stage + sk.days_in_stage
    FROM sk WHERE h.opportunity_id = sk.opportunity_id AND h.from_stage = 'Qualification'
      AND h.to_stage = 'Technical Validation'
    """)
    con.execute("""
    DELETE FROM opportunity_stage_history h USING sk
    WHERE h.opportunity_id = sk.opportunity_id AND h.from_stage = 'Discovery' AND h.to_stage = 'Qualification'
    """)
    con.execute("DROP TABLE sk")


def _cluster(con) -> None:
    """Store stage history in opportunity order, so looking up one deal's history reads a few row groups
    (DuckDB skips row groups by their min/max) instead of scanning millions of rows at large scales."""
    con.execute("CREATE TEMP TABLE _h AS SELECT * FROM opportunity_stage_history ORDER BY opportunity_id, changed_at")
    con.execute("DELETE FROM opportunity_stage_history")
    con.execute("INSERT INTO opportunity_stage_history SELECT * FROM _h ORDER BY opportunity_id, changed_at")
    con.execute("DROP TABLE _h")


