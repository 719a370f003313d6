"""Key bindings: the texts that describe them, bindings in the app's language, and the keys in
effect once the user's keymap (CYDER_KEYMAP) is applied.

Only Textual's public API: a node's bindings come from its class's `BINDINGS`, which Textual
merges when the class is made. The bindings in another language are therefore a subclass with
translated `BINDINGS` (same name, same CSS type), made once per class and language.
"""

from __future__ import annotations

import dataclasses
from functools import cache
from typing import TypeVar

from textual.binding import Binding, BindingsMap
from textual.dom import DOMNode

from .i18n import Translator

N = TypeVar("N", bound=DOMNode)

TAB_IDS = ("overview", "inbox", "evidence", "hosts", "indicators", "actions", "reports", "score")

# Binding ids and the texts that describe them (the footer and the help screen show both).
BINDING_TEXTS = {**{f"tab.{tab}": f"tab.{tab}" for tab in TAB_IDS}, "help": "key.help", "quit": "key.quit",
                 "hosts.shell": "key.shell", "hosts.refresh": "key.refresh", "score.hint": "key.hint",
                 "evidence.search": "key.search", "evidence.live": "key.live", "evidence.details": "key.details",
                 "evidence.follow": "key.live", "dialog.close": "key.close"}


def class_bindings(cls: type[DOMNode]) -> BindingsMap:
    """A node class's bindings by key, merged from the `BINDINGS` of the class and its bases the
    way Textual merges them (a subclass's bindings for a key replace its bases')."""
    keys: dict[str, list[Binding]] = {}
    for base in reversed(cls.__mro__):
        if isinstance(base, type) and issubclass(base, DOMNode):
            keys.update(BindingsMap(base.__dict__.get("BINDINGS", [])).key_to_bindings)
    return BindingsMap.from_keys({key: list(bindings) for key, bindings in keys.items()})


def localised(cls: type[N], tr: Translator) -> type[N]:
    """The class with its binding descriptions in `tr`'s language (the class itself when none
    of its bindings has a text to translate)."""
    return _localised(cls, tr.language)


@cache
def _localised(cls: type[N], language: str) -> type[N]:
    tr = Translator(language)
    merged = class_bindings(cls)
    translated = [dataclasses.replace(b, description=tr(BINDING_TEXTS[b.id]))
                  if b.id in BINDING_TEXTS and b.description else b for _, b in merged]
    if translated == [b for _, b in merged]:
        return cls
    namespace = {"BINDINGS": translated, "__module__": cls.__module__, "__qualname__": cls.__qualname__,
                 "__doc__": cls.__doc__}
    return type(cls.__name__, (cls,), namespace)


def normalise_keymap(keymap: dict[str, str]) -> dict[str, str]:
    """A keymap with its keys named as Textual names them ("?" becomes "question_mark"), as the
    app applies it."""
    return {binding_id: ",".join(b.key for b in Binding.make_bindings([Binding(keys, "")]))
            for binding_id, keys in keymap.items()}


def keys_in_effect(node: DOMNode, keymap: dict[str, str]) -> BindingsMap:
    """A node's bindings by key with the user's keymap applied (as Textual applies it)."""
    bindings = class_bindings(type(node))
    if keymap:
        bindings.apply_keymap(normalise_keymap(keymap))
    return bindings
