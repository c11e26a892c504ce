"""Regression tests of the safety review (issue 14); a package so its conftest does not shadow tests/conftest.py."""
