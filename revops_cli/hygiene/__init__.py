"""Pipeline hygiene: the rules every open deal should meet, in a YAML file users edit, evaluated per deal
with its owner.

    rules.py      the rule file (package hygiene.yaml < <home>/hygiene.yaml < ./hygiene.yaml, file:line errors),
                  `Rule`, `RuleSet`, and each check as a small function of one deal's facts (CHECKS)
    evaluate.py   `evaluate(deals, rules, as_of)` -> `HygieneResult` (violations; by rule, by owner, by deal)
    asked.py      which rules a question asks about ("deals with no next step", "no activity in 30 days")

The deal facts come from the `hygiene_deal_facts` SQL pattern (through warehouse/queries.py and the semantic
model, like every read); the Data agent's `hygiene` analysis (agents/analyses/hygiene.py) answers the
questions and `revops report hygiene` is built on it; alerts (revops_cli/alerts/) reuse `evaluate`.
docs/hygiene.md documents the file.
"""

from revops_cli.hygiene.evaluate import PATTERN, HygieneResult, Violation, evaluate, facts_params
from revops_cli.hygiene.rules import CHECKS, Rule, RuleSet, load_rules

__all__ = ["CHECKS", "PATTERN", "HygieneResult", "Rule", "RuleSet", "Violation", "evaluate", "facts_params",
           "load_rules"]
