"""YAML files users edit, read with line numbers and checked against a declared shape.

Every error names `file:line` and what to do, so a typo in a model file, a rubric or a report definition is
a one-line message (ConfigError, exit 3) before any answer is attempted.

    doc = load_yaml(path)                       # mappings come back as YamlMap (a dict that knows its lines)
    check_keys(doc, {"entities", "measures"}, what="a model file")   # unknown keys -> "did you mean …?"
    doc.line_of("entities")                     # the line a key is on (1-based)

Only YAML is read: nothing in a user folder is ever executed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from revops_cli.errors import ConfigError


class YamlMap(dict):
    """A mapping from a YAML file that remembers the file and the line of itself and of each key."""

    path: str = "?"
    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)

    def where(self, key: str | None = None) -> str:
        """`file:line` of the mapping, or of one of its keys."""
        return f"{self.path}:{self.line if key is None else self.line_of(key)}"


def _loader(path: str):
    import yaml

    class LineLoader(yaml.SafeLoader):
        pass

    def construct_mapping(loader, node, deep=False):
        loader.flatten_mapping(node)
        out = YamlMap()
        out.path = path
        out.line = node.start_mark.line + 1
        out.key_lines = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                raise ConfigError(f"{path}:{key_node.start_mark.line + 1}: a key must be a plain word",
                                  "write keys as plain words")
            key = str(key)
            if key in out:
                raise ConfigError(f"{path}:{key_node.start_mark.line + 1}: '{key}' is given twice",
                                  "keep one of them")
            out[key] = loader.construct_object(value_node, deep=True)
            out.key_lines[key] = key_node.start_mark.line + 1
        return out

    LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    return LineLoader


def layered_files(package_file: Path, home: Path) -> list[Path]:
    """The files of one user-editable YAML in force, weakest first: the package's, then a file of the same name in
    <home> and in the working folder (hygiene.yaml, alerts.yaml)."""
    paths = [package_file]
    for folder in (home, Path.cwd()):
        f = Path(folder) / package_file.name
        if f.is_file() and f.resolve() != package_file.resolve():
            paths.append(f)
    return paths


def parse_yaml(text: str, path: str = "<string>") -> Any:
    """Parse YAML text; mappings become YamlMap. A syntax error is a ConfigError naming file:line."""
    import yaml

    try:
        return yaml.load(text, Loader=_loader(path))  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise ConfigError(f"{path}:{line}: not valid YAML ({exc.problem or exc.context})",
                          "fix the indentation or quoting on that line") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})", "fix the file") from None


def load_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.__class__.__name__})",
                          "check the file exists and is UTF-8 text") from None
    return parse_yaml(text, str(path))


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The nearest of `choices` to a mistyped word, if one is near enough to suggest."""
    import difflib

    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def did_you_mean(word: str, choices: Iterable[str], fallback: str) -> str:
    choices = sorted(choices)
    best = closest(word, choices)
    return f"did you mean '{best}'?" if best else fallback


def expect_map(node: Any, where: str, what: str) -> YamlMap:
    """`node` must be a mapping; returns it."""
    if not isinstance(node, YamlMap):
        raise ConfigError(f"{where}: {what} must be a mapping of names to values",
                          "write `name: value` lines under it")
    return node


def check_keys(node: YamlMap, allowed: Iterable[str], *, what: str, required: Iterable[str] = ()) -> None:
    """Unknown keys and missing required keys are errors that name the line and the nearest allowed key."""
    allowed = set(allowed)
    for key in node:
        if key not in allowed:
            raise ConfigError(f"{node.where(key)}: unknown key '{key}' in {what}",
                              did_you_mean(key, allowed, "allowed: " + ", ".join(sorted(allowed))))
    for key in required:
        if key not in node:
            raise ConfigError(f"{node.where()}: {what} needs '{key}'", f"add `{key}:`")


def expect_text(node: YamlMap, key: str, *, what: str) -> str:
    """A non-empty string value."""
    value = node.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{node.where(key)}: '{key}' of {what} must be non-empty text", f"give {key} as text")
    return value.strip()


def merge_layers(base: dict, over: dict) -> dict:
    """`over` laid over `base` key by key, mappings merged recursively (a user rubric or model file that holds
    only what it changes); lists and values are replaced."""
    out = dict(base)
    for k, v in over.items():
        out[k] = merge_layers(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out
