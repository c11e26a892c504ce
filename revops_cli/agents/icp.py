"""ICP fit scoring: firmographics, technographics, persona and engagement against a YAML rubric.

Pure functions over plain dicts (no warehouse access), so the same arithmetic scores one lead, a batch
of leads, or a company without a person. The rubric (agents/rubrics/icp.yaml) documents the arithmetic;
`<home>/rubrics/icp.yaml` and then `./rubrics/icp.yaml` are merged over it.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Iterable

from revops_cli.errors import ConfigError
from revops_cli.formatting import day_of

PACKAGE_RUBRIC = Path(__file__).resolve().parent / "rubrics" / "icp.yaml"
CRITERIA = ("firmographics", "technographics", "persona", "engagement")
ENGAGEMENT_COUNTS = ("email_opens", "email_clicks", "web_visits", "content_downloads", "events_attended", "calls")
_COUNT_WORDS = {"email_opens": ("email open", "email opens"), "email_clicks": ("email click", "email clicks"),
                "web_visits": ("web visit", "web visits"), "content_downloads": ("content download", "content downloads"),
                "events_attended": ("event attended", "events attended"), "calls": ("call logged", "calls logged")}


# --- rubric --------------------------------------------------------------------------------------------

def rubric_paths(home: Path | None) -> list[Path]:
    """The rubric files in force, weakest first: the package's, <home>/rubrics, ./rubrics."""
    paths = [PACKAGE_RUBRIC]
    for d in ((home / "rubrics") if home else None, Path.cwd() / "rubrics"):
        if d is not None and (d / "icp.yaml").is_file():
            paths.append(d / "icp.yaml")
    return paths


_CACHE: dict[tuple, dict] = {}
RUBRIC_KEYS = ("bands", "priority", "criteria", "segments", "title_rules", "strategy")


def load_rubric(home: Path | None = None) -> dict[str, Any]:
    """The merged rubric (cached while the files are unchanged). ConfigError names a broken file."""
    from revops_cli.yaml_files import check_keys, expect_map, load_yaml, merge_layers

    paths = rubric_paths(home)
    key = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in paths)
    hit = _CACHE.get(key)
    if hit is not None:
        return copy.deepcopy(hit)
    rubric: dict[str, Any] = {}
    for p in paths:       # the shared YAML mechanism (yaml_files.py): mistakes name file:line
        data = load_yaml(p)
        if data is None:
            continue
        data = expect_map(data, f"{p}:1", "the ICP rubric")
        check_keys(data, RUBRIC_KEYS, what="the ICP rubric")
        rubric = merge_layers(rubric, data)
    _check(rubric, paths[-1])
    rubric["files"] = [str(p) for p in paths]
    _CACHE.clear()
    _CACHE[key] = rubric
    return copy.deepcopy(rubric)


def _check(rubric: dict, where: Path) -> None:
    crit = rubric.get("criteria")
    if not isinstance(crit, dict):
        raise ConfigError(f"{where}: the ICP rubric has no criteria", "see agents/rubrics/icp.yaml")
    for name in CRITERIA:
        c = crit.get(name)
        if not isinstance(c, dict) or not isinstance(c.get("factors"), dict):
            raise ConfigError(f"{where}: criterion {name!r} needs a weight and factors", "see agents/rubrics/icp.yaml")
        w = c.get("weight")
        if not isinstance(w, (int, float)) or isinstance(w, bool) or w < 0:
            raise ConfigError(f"{where}: criteria.{name}.weight must be a number >= 0, got {w!r}", "e.g. weight: 25")
        for fname, f in c["factors"].items():
            s = f.get("share") if isinstance(f, dict) else None
            if not isinstance(s, (int, float)) or isinstance(s, bool) or s < 0:
                raise ConfigError(f"{where}: criteria.{name}.factors.{fname}.share must be a number >= 0",
                                  "e.g. share: 40")


# --- results -------------------------------------------------------------------------------------------

@dataclass
class Criterion:
    name: str
    points: float
    max: float
    reasons: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)     # inputs this criterion had to do without
    scored: bool = True                                  # False: no data at all, left out of the score

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "points": self.points, "max": self.max, "reasons": list(self.reasons),
                "missing": list(self.missing), "scored": self.scored}


@dataclass
class IcpResult:
    score: int
    band: str
    priority: str | None
    criteria: list[Criterion]
    confidence: str
    confidence_reasons: list[str]
    last_activity: date | None = None
    days_since_activity: int | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["criteria"] = [c.to_dict() for c in self.criteria]
        d["last_activity"] = self.last_activity.isoformat() if self.last_activity else None
        return d


# --- helpers -------------------------------------------------------------------------------------------

def _lower_map(values: dict) -> dict[str, Any]:
    return {str(k).strip().lower(): v for k, v in (values or {}).items()}


def _in(value: str | None, items: Iterable[str]) -> bool:
    return value is not None and value.strip().lower() in {str(i).strip().lower() for i in items}


def split_tech(stack: Any) -> list[str]:
    """'Snowflake,dbt, Looker' or a list -> ['Snowflake', 'dbt', 'Looker'] (order kept, no duplicates)."""
    if not stack:
        return []
    items = stack.split(",") if isinstance(stack, str) else list(stack)
    out: list[str] = []
    for i in items:
        s = str(i).strip()
        if s and s.lower() not in {o.lower() for o in out}:
            out.append(s)
    return out


def matches(stack: list[str], tech: Iterable[str]) -> list[str]:
    wanted = {str(t).strip().lower() for t in tech}
    return [s for s in stack if s.lower() in wanted]


def _criterion_points(weight: float, parts: list[tuple[float, float]]) -> float:
    """weight * sum(share*value) / sum(share), rounded to 1 decimal."""
    total_share = sum(s for s, _ in parts)
    if total_share <= 0:
        return 0.0
    return round(weight * sum(s * v for s, v in parts) / total_share, 1)


def _fmt_int(n: Any) -> str:
    return f"{int(n):,}"


def _src(sources: dict, key: str) -> str:
    s = (sources or {}).get(key)
    return f" ({s})" if s else ""


def infer_from_title(rubric: dict, title: str | None, kind: str) -> str | None:
    """Seniority or department read from a job title with the rubric's title_rules (first match wins)."""
    if not title:
        return None
    import re

    t = f" {re.sub(r'[^a-z0-9]+', ' ', title.lower())} "
    for label, words in ((rubric.get("title_rules") or {}).get(kind) or {}).items():
        for w in words or []:
            if f" {str(w).lower()} " in t:
                return str(label)
    return None


# --- the four criteria ---------------------------------------------------------------------------------

def score_firmographics(rubric: dict, company: dict[str, Any]) -> Criterion:
    c = rubric["criteria"]["firmographics"]
    f = c["factors"]
    src = company.get("sources") or {}
    name = company.get("name") or "the company"
    parts: list[tuple[float, float]] = []
    reasons: list[str] = []
    missing: list[str] = []

    if "employees" in f:
        e = f["employees"]
        emp = company.get("employees")
        lo, hi = e.get("sweet_spot", [0, 0])
        alo, ahi = e.get("acceptable", [lo, hi])
        if emp is None:
            v = 0.0
            missing.append("employee count")
            reasons.append(f"Employee count of {name} unknown (no data in the CRM or research)")
        elif lo <= emp <= hi:
            v = 1.0
            reasons.append(f"{_fmt_int(emp)} employees{_src(src, 'employees')} is inside the "
                           f"{_fmt_int(lo)}-{_fmt_int(hi)} target range")
        elif alo <= emp <= ahi:
            v = float(e.get("partial", 0.5))
            reasons.append(f"{_fmt_int(emp)} employees{_src(src, 'employees')} is outside the "
                           f"{_fmt_int(lo)}-{_fmt_int(hi)} sweet spot but workable")
        else:
            v = 0.0
            reasons.append(f"{_fmt_int(emp)} employees{_src(src, 'employees')} is outside the target size "
                           f"({_fmt_int(alo)}-{_fmt_int(ahi)})")
        parts.append((e["share"], v))

    if "industry" in f:
        i = f["industry"]
        ind = company.get("industry")
        if not ind:
            v = 0.0
            missing.append("industry")
            reasons.append("Industry unknown")
        elif _in(ind, i.get("targets", [])):
            v = 1.0
            reasons.append(f"{ind}{_src(src, 'industry')} is a target industry")
        elif _in(ind, i.get("adjacent", [])):
            v = float(i.get("adjacent_value", 0.5))
            reasons.append(f"{ind}{_src(src, 'industry')} is an adjacent industry")
        else:
            v = 0.0
            reasons.append(f"{ind}{_src(src, 'industry')} is not a target industry")
        parts.append((i["share"], v))

    if "funding_stage" in f:
        fs = f["funding_stage"]
        stage = company.get("funding_stage")
        if not stage:
            v = 0.0
            reasons.append("Funding stage unknown")
        else:
            vals = _lower_map(fs.get("values", {}))
            v = float(vals.get(stage.strip().lower(), fs.get("default", 0.0)))
            word = "growth-stage funding suggests budget" if v >= 1.0 else "funding stage counts partly"
            reasons.append(f"{stage}{_src(src, 'funding_stage')}: {word}")
        parts.append((fs["share"], v))

    if "region" in f:
        r = f["region"]
        region = company.get("region")
        if not region:
            v = 0.0
        elif _in(region, r.get("targets", [])):
            v = 1.0
            reasons.append(f"Region {region} is a target region")
        else:
            v = float(r.get("other_value", 0.5))
            reasons.append(f"Region {region} is outside the target regions")
        parts.append((r["share"], v))

    return Criterion("firmographics", _criterion_points(c["weight"], parts), float(c["weight"]), reasons, missing)


def score_technographics(rubric: dict, company: dict[str, Any]) -> Criterion:
    c = rubric["criteria"]["technographics"]
    f = c["factors"]
    stack = split_tech(company.get("tech_stack"))
    src = _src(company.get("sources") or {}, "tech_stack")
    parts: list[tuple[float, float]] = []
    reasons: list[str] = []
    missing: list[str] = []
    if not stack:
        missing.append("tech stack")
        reasons.append(f"Tech stack of {company.get('name') or 'the company'} unknown")
        for factor in f.values():
            parts.append((factor["share"], 0.0))
        return Criterion("technographics", _criterion_points(c["weight"], parts), float(c["weight"]), reasons, missing)
    if "competitor_warehouse" in f:
        cw = f["competitor_warehouse"]
        hit = matches(stack, cw.get("tech", []))
        parts.append((cw["share"], 1.0 if hit else 0.0))
        if hit:
            reasons.append(f"Uses {', '.join(hit)}{src}: a competing warehouse, a replacement opportunity")
        else:
            reasons.append(f"No competing warehouse in the stack ({', '.join(stack)}){src}")
    if "modern_data_stack" in f:
        m = f["modern_data_stack"]
        hit = matches(stack, m.get("tech", []))
        full = max(float(m.get("full_at", 1)), 1e-9)
        parts.append((m["share"], min(1.0, len(hit) / full)))
        if hit:
            reasons.append(f"Modern data tools in use: {', '.join(hit)}")
        else:
            reasons.append("No modern data tooling (dbt, Kafka, ...) seen in the stack")
    return Criterion("technographics", _criterion_points(c["weight"], parts), float(c["weight"]), reasons, missing)


def persona_of(rubric: dict, person: dict[str, Any]) -> tuple[str | None, str | None]:
    """(seniority, department): the CRM's, else read from the title."""
    seniority = person.get("seniority") or infer_from_title(rubric, person.get("title"), "seniority")
    department = person.get("department") or infer_from_title(rubric, person.get("title"), "department")
    return seniority, department


def score_persona(rubric: dict, person: dict[str, Any]) -> Criterion:
    c = rubric["criteria"]["persona"]
    f = c["factors"]
    seniority, department = persona_of(rubric, person)
    title = person.get("title")
    parts: list[tuple[float, float]] = []
    reasons: list[str] = []
    missing: list[str] = []
    if not title and not seniority and not department:
        missing.append("title")
        reasons.append("No title known for this person, so the persona cannot be judged")
    if "seniority" in f:
        s = f["seniority"]
        if seniority:
            v = float(_lower_map(s.get("values", {})).get(seniority.lower(), s.get("default", 0.0)))
            label = "decision-maker" if v >= 0.85 else "influencer" if v >= 0.5 else "limited buying power"
            how = "" if person.get("seniority") else " (read from the title)"
            reasons.append(f"{seniority} seniority{how}: {label}")
        else:
            v = 0.0
        parts.append((s["share"], v))
    if "department" in f:
        d = f["department"]
        if department:
            v = float(_lower_map(d.get("values", {})).get(department.lower(), d.get("default", 0.0)))
            label = "core buying function" if v >= 0.8 else "adjacent function" if v >= 0.5 else "outside the buying function"
            how = "" if person.get("department") else " (read from the title)"
            reasons.append(f"{department} function{how}: {label}")
        else:
            v = 0.0
        parts.append((d["share"], v))
    if title and reasons and not missing:
        reasons[0] = f"{title}: {reasons[0]}"
    return Criterion("persona", _criterion_points(c["weight"], parts), float(c["weight"]), reasons, missing)


def last_activity(engagement: dict[str, Any]) -> date | None:
    days = [day_of(engagement.get(k)) for k in ("last_activity_date", "last_call_at")]
    days = [d for d in days if d]
    return max(days) if days else None


def score_engagement(rubric: dict, engagement: dict[str, Any] | None, as_of: date) -> tuple[Criterion, date | None, int | None]:
    c = rubric["criteria"]["engagement"]
    f = c["factors"]
    parts: list[tuple[float, float]] = []
    reasons: list[str] = []
    missing: list[str] = []
    if engagement is None:
        missing.append("engagement data")
        reasons.append("No engagement data: the person is not a lead in the CRM")
        for factor in f.values():
            parts.append((factor["share"], 0.0))
        return Criterion("engagement", _criterion_points(c["weight"], parts), float(c["weight"]), reasons, missing), None, None
    seen: list[str] = []
    for key in ENGAGEMENT_COUNTS:
        if key not in f:
            continue
        n = int(engagement.get(key) or 0)
        full = max(float(f[key].get("full_at", 1)), 1e-9)
        parts.append((f[key]["share"], min(1.0, n / full)))
        if n:
            seen.append(f"{n} {_COUNT_WORDS[key][0 if n == 1 else 1]}")
    reasons.append(("Activity: " + ", ".join(seen)) if seen else "No email, web, content, event or call activity")
    last = last_activity(engagement)
    days = max(0, (as_of - last).days) if last else None
    if "recency" in f:
        r = f["recency"]
        v = 0.0
        if days is not None:
            for limit, value in r.get("steps", []):
                if days <= limit:
                    v = float(value)
                    break
        parts.append((r["share"], v))
        if last:
            reasons.append(f"Last activity {last.isoformat()}, {days} day{'s' if days != 1 else ''} before "
                           f"{as_of.isoformat()}")
        else:
            reasons.append("No recorded last activity")
    return Criterion("engagement", _criterion_points(c["weight"], parts), float(c["weight"]), reasons, missing), last, days


# --- the whole assessment ------------------------------------------------------------------------------

def total_score(criteria: list[Criterion]) -> int:
    """round_half_up(100 * sum(points) / sum(max)), computed in decimals."""
    total_max = sum(Decimal(str(c.max)) for c in criteria)
    if total_max <= 0:
        return 0
    earned = sum(Decimal(str(c.points)) for c in criteria)
    return int((Decimal(100) * earned / total_max).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def band_of(rubric: dict, score: int) -> str:
    bands = sorted((rubric.get("bands") or {}).items(), key=lambda kv: -float(kv[1]))
    for name, low in bands:
        if score >= float(low):
            return str(name)
    return "LOW"


def priority_of(rubric: dict, band: str, days_since: int | None) -> str:
    p = rubric.get("priority") or {}
    active = days_since is not None and days_since <= int(p.get("recent_days", 14))
    pair = p.get(band) or ["P3", "P4"]
    return str(pair[0] if active else pair[1])


def confidence_of(missing: list[str], *, in_crm: bool, research_found: bool | None,
                  with_person: bool = True) -> tuple[str, list[str]]:
    """High / Medium / Low and why: which inputs the score had to do without."""
    reasons: list[str] = []
    if not in_crm:
        reasons.append("person not in the CRM: scored from web research only, no engagement history")
    if research_found is False:
        reasons.append("no company research found")
    for m in missing:
        if not in_crm and m == "engagement data":
            continue
        reasons.append(f"no {m}")
    if not in_crm or len(missing) >= 3:
        level = "Low"
    elif reasons:
        level = "Medium"
    else:
        level = "High"
        reasons.append("firmographics, tech stack, persona and engagement all known" if with_person
                       else "firmographics and tech stack known")
    return level, reasons


def assess(rubric: dict, *, company: dict[str, Any], person: dict[str, Any] | None,
           engagement: dict[str, Any] | None, as_of: date, in_crm: bool = True,
           research_found: bool | None = None) -> IcpResult:
    """Score a person at a company (person None: company-level fit, firmographics + technographics only).

    A person not in the CRM (in_crm False) has no engagement history and usually no title: those criteria
    are shown but left out of the score (`scored` False) rather than counted as zero, and confidence is Low.
    """
    criteria = [score_firmographics(rubric, company), score_technographics(rubric, company)]
    last = days = None
    if person is not None:
        criteria.append(score_persona(rubric, person))
        eng, last, days = score_engagement(rubric, engagement, as_of)
        criteria.append(eng)
    criteria = [c for c in criteria if c.max > 0]
    if not in_crm:
        for c in criteria:
            if c.name in ("persona", "engagement") and c.missing:
                c.scored = False
    score = total_score([c for c in criteria if c.scored])
    band = band_of(rubric, score)
    priority = priority_of(rubric, band, days) if person is not None else None
    missing = [m for c in criteria for m in c.missing]
    level, why = confidence_of(missing, in_crm=in_crm, research_found=research_found,
                               with_person=person is not None)
    return IcpResult(score, band, priority, criteria, level, why, last, days)
