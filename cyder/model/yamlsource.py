"""Load YAML into plain data while remembering where every value came from.

Validation errors refer to a path inside the data (`hosts.3.services.0.kind`); a `SourceMap`
turns such a path back into the line and column of the file, so errors read like a compiler's.

Only plain YAML is read: text, numbers, true/false, null, lists and mappings. Tags that name other
types (`!!python/...`, `!!binary`, `!custom`), the merge key `<<` and aliases that contain
themselves are refused with a located problem, and a file's size, nesting depth and alias use are
bounded, so a hostile file costs little time and memory. Times written `1:30` stay text (YAML 1.1
would read them as base-60 numbers), as do dates, because cyder's fields that take them want text.

It lives in the model layer (it was cyder/yamlsource.py) because only the model's loaders read YAML.
"""

from __future__ import annotations

import gc
import os
import re
import stat
from array import array
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

from ..errors import InputError, Problem

PathKey = tuple[str | int, ...]

MAX_BYTES = 32_000_000  # a shipped range is 13 kB; a generated 20 MB one validates in seconds
MAX_DEPTH = 64  # ranges and scenarios nest about ten levels deep
MAX_ALIASES = 1_000  # alias uses (*name) in one file
MAX_ALIAS_VALUES = 100_000  # values that aliases repeat, in total ("billion laughs" stops here)

_YAML = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_YAML}{t}" for t in ("str", "int", "float", "bool", "null")}
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when installed: ten times faster
_RESOLVERS = yaml.resolver.Resolver.yaml_implicit_resolvers
_CONSTRUCTOR = yaml.constructor.SafeConstructor()


@dataclass
class SourceMap:
    """Positions (1-based line and column) of the values and mapping keys of one YAML file.

    The positions of the items of every list and mapping (the key's position for a mapping entry)
    lie in one flat array, container after container in the order they ended in the file, which is
    the order of a depth-first walk of the data that visits a container after its items. Where each
    container's positions start is worked out by that walk the first time a problem is located, so
    a valid file pays eight bytes per value. The map keeps the data it describes alive.
    """

    file: str
    root: Any = None
    start: tuple[int, int] = (1, 1)
    spots: array = field(default_factory=lambda: array("Q"), repr=False)
    _offsets: dict[int, int] | None = field(default=None, repr=False)

    def locate(self, path: PathKey) -> tuple[int, int]:
        """Return the position of `path`, or of its nearest ancestor that has one."""
        if self._offsets is None:
            self._offsets = self._walk()
        node, where = self.root, self.start
        for part in path:
            offset = self._offsets.get(id(node))
            if isinstance(node, dict) and part in node:
                index = next(i for i, key in enumerate(node) if key == part)
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                index = part
            else:
                break
            if offset is not None and offset + index < len(self.spots):
                spot = self.spots[offset + index]
                where = (spot >> 32, spot & 0xFFFFFFFF)
            node = node[part]
        return where

    def _walk(self) -> dict[int, int]:
        """Where each container's positions start in `spots` (a container repeated by an alias
        counts where it was written, its first place in the data)."""
        offsets: dict[int, int] = {}
        end = 0
        # (container, its items left to visit) on a stack: the depth is bounded, the size is not.
        stack = [(self.root, iter(_items(self.root)))] if isinstance(self.root, (dict, list)) else []
        while stack:
            node, items = stack[-1]
            for item in items:
                if isinstance(item, (dict, list)) and id(item) not in offsets:
                    offsets[id(item)] = -1  # being visited
                    stack.append((item, iter(_items(item))))
                    break
            else:
                stack.pop()
                offsets[id(node)] = end
                end += len(node)
        if end != len(self.spots):  # never expected: then only the document's start is trusted
            return {}
        return offsets

    def problem(self, path: PathKey, message: str) -> Problem:
        """Build a located problem for the value at `path`."""
        line, column = self.locate(path)
        return Problem(self.file, line, column, dotted(path), message)


def _items(node: dict | list) -> Iterable[Any]:
    return node.values() if isinstance(node, dict) else node


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_$-]+")


def dotted(path: PathKey) -> str:
    """Render a data path as `hosts[2].services[0].kind`; keys that are not plain names are quoted
    (`pages['news/index.html']`), so control characters in them are shown escaped, never raw."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not _PLAIN_KEY.fullmatch(str(part)):
            text += f"[{str(part)!r}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def read_source(path: str | Path) -> bytes:
    """The bytes of a file of at most MAX_BYTES; InputError when it cannot be read or is larger."""
    file = str(path)
    try:
        with open(path, "rb") as fh:
            info = os.fstat(fh.fileno())
            if info.st_size > MAX_BYTES:
                raise InputError([Problem(file, 1, 1, "", _too_big(info.st_size))])
            if stat.S_ISREG(info.st_mode):
                data = fh.read(info.st_size + 1)
            else:  # a pipe or a device may never end: read it in pieces up to the bound
                pieces, total = [], 0
                while total <= MAX_BYTES and (piece := fh.read(1 << 20)):
                    pieces.append(piece)
                    total += len(piece)
                data = b"".join(pieces)
    except OSError as exc:
        raise InputError([Problem(file, 1, 1, "", f"cannot read file: {exc.strerror or exc}")]) from None
    if len(data) > MAX_BYTES:
        raise InputError([Problem(file, 1, 1, "", _too_big(None))])
    return data


def _too_big(size: int | None) -> str:
    have = f"is {size / 1e6:.1f} MB" if size is not None else "is larger than that"
    return f"file {have}; cyder reads range and scenario files of up to {MAX_BYTES / 1e6:.0f} MB"


def decode(data: bytes, file: str) -> str:
    """UTF-8 bytes as text (a BOM is dropped); InputError at the first byte that is not UTF-8."""
    _refuse_utf16(data, file)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError([_not_utf8(data, exc.start, file)]) from None


def _refuse_utf16(data: bytes, file: str) -> None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError([Problem(file, 1, 1, "", "not UTF-8 (the file is UTF-16); save the file as UTF-8")])


def _line_column(data: bytes, offset: int) -> tuple[int, int]:
    """The 1-based line and column (in characters) of a byte offset."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b"\n", 0, offset) + 1, len(data[line_start:offset].decode("utf-8", "replace")) + 1


def _not_utf8(data: bytes, offset: int, file: str) -> Problem:
    # libyaml may point past the byte that starts a broken sequence: Python's decoder names that byte.
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start
    line, column = _line_column(data, offset)
    message = f"not UTF-8 (byte 0x{data[offset]:02x} at line {line} col {column}); save the file as UTF-8"
    if _looks_like_shift_jis(data):
        message += " (it looks like Shift_JIS)"
    return Problem(file, line, column, "", message)


def _looks_like_shift_jis(data: bytes) -> bool:
    """Whether bytes read as Japanese text in Shift_JIS (Windows' cp932), a common way to save YAML."""
    try:
        text = data.decode("cp932")
    except UnicodeDecodeError:
        return False
    japanese = sum(1 for c in text if "\u3040" <= c <= "\u30ff" or "\u4e00" <= c <= "\u9fff")
    odd = sum(1 for c in text if "\ue000" <= c <= "\uf8ff" or "\uff61" <= c <= "\uff9f")  # private use, half-width kana
    return japanese > 0 and japanese >= odd


@contextmanager
def gc_paused():
    """Pause Python's cycle collector: reading and validating a big file allocates millions of small
    objects that hold no cycles, and the collector's repeated passes over them cost more than the
    work itself (pydantic took 2.5 s instead of 1 s on a 20 MB range)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_yaml(path: str | Path) -> tuple[Any, SourceMap]:
    """Parse a YAML file into plain data and its source map; raise InputError on any problem."""
    return parse_yaml(read_source(path), str(path))


def parse_yaml(source: bytes | str, file: str) -> tuple[Any, SourceMap]:
    """Parse YAML (UTF-8 bytes or text) into plain data and its source map; raise InputError on any problem."""
    if isinstance(source, str):
        source = source.encode("utf-8", "surrogateescape")
    _refuse_utf16(source, file)
    # libyaml reads the bytes itself (checking the UTF-8 as it goes): no copy of the file as text.
    builder = _Builder(file)
    loader = _LOADER(source if _LOADER is not yaml.SafeLoader else decode(source, file))
    try:
        with gc_paused():
            builder.run(loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        context = ""
        if exc.context and exc.context_mark and exc.context_mark is not mark:
            start = exc.context_mark
            context = f" ({exc.context} that starts at line {start.line + 1} col {start.column + 1})"
        builder.problems.append(Problem(file, line, col, "", f"YAML syntax: {exc.problem or exc}{context}"))
    except yaml.reader.ReaderError as exc:
        if "UTF-8" in str(exc.reason) or "Unicode" in str(exc.reason):
            builder.problems.append(_not_utf8(source, exc.position, file))
        else:
            line, col = _line_column(source, exc.position) if _LOADER is not yaml.SafeLoader else (1, 1)
            char = exc.character if isinstance(exc.character, str) else chr(exc.character)
            builder.problems.append(Problem(file, line, col, "", f"character U+{ord(char):04X} is not allowed in "
                                            "YAML (a control character); remove it"))
    except yaml.YAMLError as exc:
        builder.problems.append(Problem(file, 1, 1, "", f"YAML: {exc}"))
    except _Stop:
        pass
    finally:
        loader.dispose()
    if builder.problems:
        raise InputError(builder.problems)
    if builder.root is None:
        raise InputError([Problem(file, 1, 1, "", "file is empty")])
    return builder.root, builder.smap


class _Stop(Exception):
    """Raised by the builder after a problem that makes reading on pointless or costly."""


_NO_KEY = object()  # a mapping waits for its next key
_BAD_KEY = object()  # the key was refused: drop the value that follows


class _Frame:
    """A list or mapping being built."""

    __slots__ = ("value", "spots", "is_map", "key", "key_spot", "anchor", "counted", "spot", "as_key", "part")

    def __init__(self, value, is_map: bool, anchor: str | None, spot: int, as_key: bool, part: Any, counted: int):
        self.value, self.spots, self.is_map = value, array("Q"), is_map
        self.key, self.key_spot, self.anchor, self.spot = _NO_KEY, 0, anchor, spot
        self.as_key, self.part = as_key, part  # part: the key or index it will have in its parent
        self.counted = counted  # values read before it began: its size is the difference at its end


class _Builder:
    """Turns parser events into plain data and a SourceMap in one pass, with the checks and bounds."""

    def __init__(self, file: str):
        self.file = file
        self.smap = SourceMap(file)
        self.problems: list[Problem] = []
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.root: Any = None
        self.documents = self.aliases = self.repeated = self.values = 0
        # Keys repeat thousands of times in a big range: one string object for each.
        self.strings: dict[str, str] = {}

    def problem(self, spot: int, message: str, stop: bool = False, path: PathKey | None = None) -> None:
        """Record a located problem at the value being read (or at `path`); `stop` ends reading."""
        path = self.here() if path is None else path
        self.problems.append(Problem(self.file, spot >> 32, spot & 0xFFFFFFFF, dotted(path), message))
        if stop:
            raise _Stop

    def here(self) -> PathKey:
        """The data path of the value about to be added."""
        path = tuple(f.part for f in self.stack[1:])
        if self.stack:
            top = self.stack[-1]
            if not top.is_map:
                return (*path, len(top.value))
            if isinstance(top.key, str):
                return (*path, top.key)
        return path

    def run(self, loader) -> None:
        """Read every event. The common cases (plain scalars, lists and mappings) are handled inline,
        the rest by the methods below: a 20 MB range has some three million events."""
        get_event, stack, strings, spots = loader.get_event, self.stack, self.strings, self.smap.spots
        scalar_event, start_events = yaml.ScalarEvent, (yaml.MappingStartEvent, yaml.SequenceStartEvent)
        end_events = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
        no_key, resolvers = _NO_KEY, _RESOLVERS
        top = None
        while True:
            event = get_event()
            kind = type(event)
            if kind is scalar_event:
                if top is not None and top.key is no_key and top.is_map:
                    mark = event.start_mark
                    value, top.key_spot = event.value, (mark.line + 1) << 32 | (mark.column + 1)
                    if event.tag is None and value != "<<" and not event.anchor:
                        top.key = strings.setdefault(value, value)
                    else:
                        top.key = self._key_text(event, top.key_spot)
                    continue
                if event.tag is None and not event.anchor:
                    value = event.value
                    if event.implicit[0] and value[:1] in resolvers:
                        value = _resolve(value)
                    if top is not None:
                        if top.is_map:
                            key = top.key
                            if key.__class__ is str and key not in top.value:
                                top.value[key] = value
                                top.spots.append(top.key_spot)
                                top.key = no_key
                                self.values += 1
                                continue
                        else:
                            mark = event.start_mark
                            top.value.append(value)
                            top.spots.append((mark.line + 1) << 32 | (mark.column + 1))
                            self.values += 1
                            continue
                mark = event.start_mark
                spot = (mark.line + 1) << 32 | (mark.column + 1)
                if event.tag is not None or event.anchor:
                    value = self.scalar(event, spot)
                    if event.anchor:
                        self.anchors[event.anchor] = (value, 1)
                self.add(value, spot, 1)
            elif kind in start_events:
                self.start(event, kind is yaml.MappingStartEvent)
                top = stack[-1]
            elif kind in end_events:
                frame = stack.pop()
                top = stack[-1] if stack else None
                spots.extend(frame.spots)
                if frame.anchor:
                    self.anchors[frame.anchor] = (frame.value, self.values - frame.counted + 1)
                if frame.as_key:
                    self.problem(frame.spot, "a key must be a plain name, not a list or mapping")
                    self.key(_BAD_KEY, frame.spot)
                else:
                    self.add(frame.value, frame.spot, 1)  # its values were counted as they came
            elif kind is yaml.StreamEndEvent or event is None:
                return
            else:
                self.feed(event)

    def start(self, event: yaml.Event, is_map: bool) -> None:
        """Begin a list or mapping."""
        mark = event.start_mark
        spot = (mark.line + 1) << 32 | (mark.column + 1)
        if event.tag is not None:
            self._check_tag(event.tag, f"{_YAML}map" if is_map else f"{_YAML}seq",
                            "a mapping" if is_map else "a list", spot)
        top = self.stack[-1] if self.stack else None
        as_key = top is not None and top.is_map and top.key is _NO_KEY
        if len(self.stack) >= MAX_DEPTH:
            self.problem(spot, f"nesting is deeper than {MAX_DEPTH} levels; cyder files need about ten",
                         stop=True, path=self.here()[:2])
        part = None if top is None else (top.key if top.is_map else len(top.value))
        self.stack.append(_Frame({} if is_map else [], is_map, event.anchor, spot, as_key, part, self.values))

    def feed(self, event: yaml.Event) -> None:
        """Handle the rarer events: aliases and documents."""
        mark = event.start_mark
        spot = (mark.line + 1) << 32 | (mark.column + 1)
        kind = type(event)
        if kind is yaml.AliasEvent:
            self.alias(event.anchor, spot)
        elif kind is yaml.DocumentStartEvent:
            self.documents += 1
            if self.documents > 1:
                self.problem(spot, "a second YAML document (after ---): a file holds one range or one scenario",
                             stop=True)

    def add(self, value: Any, spot: int, count: int) -> None:
        """Put a finished value into the list or mapping being built (or make it the document);
        `count` is how many values it adds (an alias adds all the values it repeats)."""
        self.values += count
        if not self.stack:
            self.root, self.smap.root = value, value
            self.smap.start = (spot >> 32, spot & 0xFFFFFFFF)
            return
        frame = self.stack[-1]
        if not frame.is_map:
            frame.value.append(value)
            frame.spots.append(spot)
            return
        key = frame.key
        if key is _BAD_KEY:
            frame.key = _NO_KEY
            return
        if key in frame.value:
            self.problem(frame.key_spot, "duplicate key")
        else:
            frame.spots.append(frame.key_spot)
        frame.value[key] = value
        frame.key = _NO_KEY

    def key(self, key: Any, spot: int) -> None:
        """Set the key the next value of the mapping being built goes under."""
        frame = self.stack[-1]
        frame.key, frame.key_spot = key, spot

    def _key_text(self, event: yaml.ScalarEvent, spot: int) -> Any:
        """Keys are the text written: `80:` and `yes:` name fields and pages, not numbers or booleans."""
        if event.tag not in (None, "!", f"{_YAML}str"):
            self._check_tag(event.tag, f"{_YAML}str", "a key", spot)
            return _BAD_KEY
        if event.value == "<<" and event.tag is None and event.implicit[0]:
            self.problem(spot, "the merge key << is not supported: write the fields out "
                         "(an alias *name may repeat a whole value)")
            return _BAD_KEY
        if event.anchor:
            self.anchors[event.anchor] = (event.value, 1)
        return event.value

    def _check_tag(self, tag: str | None, allowed: str, what: str, spot: int) -> bool:
        if tag is None or tag == "!" or tag == allowed:
            return True
        shown = "!!" + tag[len(_YAML):] if tag.startswith(_YAML) else tag
        why = ("cyder never builds objects from a file" if "python/" in tag
               else "cyder files hold only text, numbers, true/false, null, lists and mappings")
        if tag in _SCALAR_TAGS or tag in (f"{_YAML}map", f"{_YAML}seq"):
            self.problem(spot, f"the tag {shown} does not fit {what}")
        else:
            self.problem(spot, f"the YAML tag {shown} is not allowed: {why}")
        return False

    def scalar(self, event: yaml.ScalarEvent, spot: int) -> Any:
        """The value of a scalar: plain ones resolved as YAML 1.1 does, except times and dates stay text."""
        value, tag = event.value, event.tag
        if tag is None:
            return _resolve(value) if event.implicit[0] else value
        if tag == "!" or tag == f"{_YAML}str":
            return value
        if tag not in _SCALAR_TAGS:
            self._check_tag(tag, f"{_YAML}str", "a value", spot)
            return None
        resolved = _resolve(value) if value else None
        wanted = {"int": int, "float": float, "bool": bool, "null": type(None)}[tag[len(_YAML):]]
        if wanted is float and type(resolved) is int:
            return float(resolved)
        if type(resolved) is not wanted:
            self.problem(spot, f"{value!r} is not {tag[len(_YAML):]} (it is tagged !!{tag[len(_YAML):]})")
        return resolved

    def alias(self, name: str, spot: int) -> None:
        """Repeat an anchored value; refuse recursive, unknown and excessive aliases."""
        frame = self.stack[-1] if self.stack else None
        if any(f.anchor == name for f in self.stack):
            self.problem(spot, f"the alias *{name} is inside the value it names (&{name}): it would never end",
                         stop=True)
        if name not in self.anchors:
            self.problem(spot, f"unknown alias *{name} (an anchor &{name} must come before it)")
            value, size = None, 1
        else:
            value, size = self.anchors[name]
        self.aliases += 1
        self.repeated += size
        if self.aliases > MAX_ALIASES:
            self.problem(spot, f"more than {MAX_ALIASES} aliases (*name) in one file", stop=True)
        if self.repeated > MAX_ALIAS_VALUES:
            self.problem(spot, f"aliases repeat more than {MAX_ALIAS_VALUES:,} values (an alias bomb?); "
                         "write the values out", stop=True)
        if frame is not None and frame.is_map and frame.key is _NO_KEY:
            if isinstance(value, str):
                self.key(value, spot)
            else:
                self.problem(spot, "a key must be a plain name, not a list or mapping")
                self.key(_BAD_KEY, spot)
            return
        self.add(value, spot, size)


def _resolve(value: str) -> Any:
    """A plain scalar's value: null, a boolean, an integer or a float as YAML 1.1 reads them, else text."""
    for tag, regexp in _RESOLVERS.get(value[:1], ()):
        if regexp.match(value):
            name = tag[len(_YAML):]
            if name == "null":
                return None
            if name == "bool":
                return _CONSTRUCTOR.bool_values[value.lower()]
            if name in ("int", "float") and ":" not in value:  # 1:30 is a time, not 90
                node = yaml.ScalarNode(tag, value)
                construct = _CONSTRUCTOR.construct_yaml_int if name == "int" else _CONSTRUCTOR.construct_yaml_float
                return construct(node)
            return value
    return value
