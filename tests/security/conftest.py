"""Regression tests written from the attacker's side: each file here is one finding of the safety review
(issue 14). The shared fixtures of tests/conftest.py apply; `fakes` and `cli` import as in tests/."""
