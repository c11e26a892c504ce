"""Warehouse access: one small protocol, DuckDB and Firebolt backends, the read-only guard,
the result cache, and the demo data generator."""
