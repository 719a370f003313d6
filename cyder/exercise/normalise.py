"""Indicators as trainees write them, made comparable with the ground truth.

Analysts defang what they paste (`hxxp://evil[.]example`, `10.0.0[.]1`, `user[@]example`), mix
case, leave trailing dots on domains and brackets around addresses. Each indicator kind has one
canonical form; a submission and the ground truth match when their canonical forms are equal.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from urllib.parse import urlsplit, urlunsplit

from ..model.rubric import INDICATOR_KINDS

# Ground-truth categories of a team's variant, by indicator kind.
CATEGORY_KINDS = {"addresses": "ip", "domains": "domain", "urls": "url", "hashes": "hash",
                  "accounts": "account", "files": "file", "mail": "mail"}

DEFANGS = [
    (re.compile(r"\[\s*\.\s*\]|\(\s*\.\s*\)|\{\s*\.\s*\}|\[dot\]|\(dot\)", re.I), "."),
    (re.compile(r"\[\s*:\s*\]"), ":"),
    (re.compile(r"\[\s*@\s*\]|\(\s*@\s*\)|\[at\]|\(at\)", re.I), "@"),
    (re.compile(r"^hxxp(s?)", re.I), r"http\1"),
    (re.compile(r"^h\*\*p(s?)", re.I), r"http\1"),
    (re.compile(r"^fxp", re.I), "ftp"),
]


class IndicatorError(ValueError):
    """A submission that is not an indicator of its kind (e.g. an IP that is not an address)."""


def refang(text: str) -> str:
    """Undo the usual defanging of indicators and trim what surrounds them."""
    text = unicodedata.normalize("NFKC", text).strip().strip("\"'<>`")
    for pattern, replacement in DEFANGS:
        text = pattern.sub(replacement, text)
    return text


def normalise(kind: str, value: str) -> str:
    """The canonical form of an indicator of a kind; IndicatorError when it cannot be one."""
    if kind not in INDICATOR_KINDS:
        raise IndicatorError(f"unknown indicator kind {kind!r}; expected one of {', '.join(INDICATOR_KINDS)}")
    text = refang(value)
    if not text:
        raise IndicatorError("empty indicator")
    if kind == "ip":
        try:
            return str(ipaddress.ip_address(text.strip("[]")))
        except ValueError:
            raise IndicatorError(f"not an IP address: {value!r}") from None
    if kind in ("domain", "host"):
        text = text.lower().rstrip(".")
        if kind == "host":
            return text
        if not re.fullmatch(r"[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)+", text):
            raise IndicatorError(f"not a domain name: {value!r}")
        return text
    if kind == "url":
        if "://" not in text:
            text = "http://" + text
        parts = urlsplit(text)
        host = (parts.hostname or "").rstrip(".")
        if not host:
            raise IndicatorError(f"not a URL: {value!r}")
        port = f":{parts.port}" if parts.port and parts.port != {"http": 80, "https": 443}.get(parts.scheme) else ""
        return urlunsplit((parts.scheme.lower(), host + port, parts.path or "/", parts.query, ""))
    if kind == "hash":
        text = text.lower().split(":")[-1]
        if not re.fullmatch(r"[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}", text):
            raise IndicatorError(f"not an MD5, SHA-1 or SHA-256 hash: {value!r}")
        return text
    if kind == "account":
        return text.lower().split("\\")[-1].split("@")[0]
    if kind == "mail":
        text = text.lower()
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text):
            raise IndicatorError(f"not a mail address: {value!r}")
        return text.rstrip(".")
    # file: a path on a host or a share; separators and case of a share path do not matter.
    text = text.replace("\\", "/")
    return text.lower() if text.startswith("//") else text


def file_matches(submitted: str, truth: str) -> bool:
    """A file indicator matches by its full path, or by its name when only the name is given."""
    if submitted == truth:
        return True
    return "/" not in submitted and submitted == truth.rsplit("/", 1)[-1]
