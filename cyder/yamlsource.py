"""Load YAML into plain data while remembering where every value came from.

Validation errors refer to a path inside the data (`hosts.3.services.0.kind`); a `SourceMap`
turns such a path back into the line and column of the file, so errors read like a compiler's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import InputError, Problem

PathKey = tuple[str | int, ...]


@dataclass
class SourceMap:
    """Positions (1-based line and column) of each value and mapping key in one YAML file."""

    file: str
    positions: dict[PathKey, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: PathKey) -> tuple[int, int]:
        """Return the position of `path`, or of its nearest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.positions:
                return self.positions[path]
            path = path[:-1]
        return self.positions.get((), (1, 1))

    def problem(self, path: PathKey, message: str) -> Problem:
        """Build a located problem for the value at `path`."""
        line, column = self.locate(path)
        return Problem(self.file, line, column, dotted(path), message)


def dotted(path: PathKey) -> str:
    """Render a data path as `hosts[2].services[0].kind`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader; duplicate keys are reported by `_to_data`, not silently overwritten."""


def load_yaml(path: str | Path) -> tuple[Any, SourceMap]:
    """Parse a YAML file into plain data and its source map; raise InputError on syntax errors."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError([Problem(file, 1, 1, "", f"cannot read file: {exc.strerror}")]) from None
    except UnicodeDecodeError:
        raise InputError([Problem(file, 1, 1, "", "file is not UTF-8 text")]) from None
    smap = SourceMap(file)
    try:
        node = yaml.compose(text, Loader=_UniqueKeyLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise InputError([Problem(file, line, col, "", f"YAML syntax: {exc.problem or exc}")]) from None
    if node is None:
        raise InputError([Problem(file, 1, 1, "", "file is empty")])
    problems: list[Problem] = []
    data = _to_data(node, (), smap, problems)
    if problems:
        raise InputError(problems)
    return data, smap


def _to_data(node: yaml.Node, path: PathKey, smap: SourceMap, problems: list[Problem]) -> Any:
    smap.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node)
            child = (*path, key)
            if key in result:
                problems.append(Problem(smap.file, key_node.start_mark.line + 1,
                                        key_node.start_mark.column + 1, dotted(child), "duplicate key"))
            result[key] = _to_data(value_node, child, smap, problems)
            # A key's own position is more useful than its value's for "unknown field" errors.
            smap.positions[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_to_data(item, (*path, i), smap, problems) for i, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    loader = _UniqueKeyLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()
