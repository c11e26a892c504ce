"""CLI commands, one module per command group. Each is thin: parse, call the library, render."""
