"""The canonical schema's employee ranges (`company_research.employee_range`, e.g. '200-500'), in Python
and as SQL, so the demo generator and the Lead agent bucket head counts the same way."""

from __future__ import annotations

# (bound, label): a head count below the bound has the label; 500 itself is still '200-500'.
EMPLOYEE_RANGES: tuple[tuple[int, str], ...] = ((50, "1-50"), (200, "50-200"), (500, "200-500"),
                                                (1000, "500-1000"), (5000, "1000-5000"), (10000, "5000-10000"))
LARGEST = "10000+"
_INCLUSIVE = 500


def employee_range(n: int | float | None) -> str | None:
    """The size bucket of a head count, e.g. 350 -> '200-500'; None when the head count is unknown."""
    if n is None:
        return None
    for bound, label in EMPLOYEE_RANGES:
        if n < bound or (bound == _INCLUSIVE and n == bound):
            return label
    return LARGEST


def employee_range_sql(col: str) -> str:
    """The same buckets as a SQL CASE over the column `col` (NULL stays NULL)."""
    whens = " ".join(f"WHEN {col} {'<=' if bound == _INCLUSIVE else '<'} {bound} THEN '{label}'"
                     for bound, label in EMPLOYEE_RANGES)
    return f"CASE WHEN {col} IS NULL THEN NULL {whens} ELSE '{LARGEST}' END"
