"""The published JSON Schemas: valid, current, and accepting what cyder accepts, as check-jsonschema
(a validator editors and CI use, with its default settings) reads them."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cyder.model.range import Host, Range
from cyder.model.schema import SCHEMAS, ecma_pattern, schema_text, shorthand_service_kinds

ROOT = Path(__file__).resolve().parent.parent
EXPORTED = {"range": ROOT / "ranges" / "schema" / "range.schema.json",
            "scenario": ROOT / "scenarios" / "schema" / "scenario.schema.json"}
SHIPPED = {"range": sorted((ROOT / "ranges").glob("*.yaml")),
           "scenario": sorted((ROOT / "scenarios").glob("*.yaml"))}


def check_jsonschema(*args: str | Path) -> subprocess.CompletedProcess:
    """Run check-jsonschema with its default settings (formats and ECMA-262 regular expressions)."""
    return subprocess.run([sys.executable, "-m", "check_jsonschema", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("kind", sorted(SCHEMAS))
def test_exported_file_is_what_cyder_schema_prints(kind):
    printed = subprocess.run([sys.executable, "-m", "cyder", "schema", kind], capture_output=True,
                             text=True, encoding="utf-8", check=True).stdout
    assert printed == schema_text(kind)
    assert EXPORTED[kind].read_text(encoding="utf-8") == printed, \
        f"run: cyder schema {kind} > {EXPORTED[kind].relative_to(ROOT)}"


def test_exported_schemas_pass_the_metaschema():
    proc = check_jsonschema("--check-metaschema", *EXPORTED.values())
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("kind", sorted(SCHEMAS))
def test_shipped_files_pass_check_jsonschema_with_the_exported_schema(kind):
    assert SHIPPED[kind], f"no shipped {kind} files found"
    proc = check_jsonschema("--schemafile", EXPORTED[kind], *SHIPPED[kind])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _range_with(services: list, flow_from) -> dict:
    return {"name": "shorthands", "title": "Shorthands", "domain": "example.lg.jp",
            "segments": [{"name": "lan", "subnet": "10.9.0.0/24", "kind": "internal"}],
            "hosts": [{"name": "fw", "role": "firewall",
                       "attachments": [{"segment": "lan", "address": "10.9.0.1"}]},
                      {"name": "srv", "role": "server", "services": services,
                       "attachments": [{"segment": "lan", "address": "10.9.0.2"}]}],
            "firewall": {"host": "fw", "flows": [{"from": flow_from, "to": "srv", "service": "ssh"}]}}


def test_schema_and_model_agree_on_the_shorthands(tmp_path):
    kinds = shorthand_service_kinds()
    assert "ssh" in kinds and "app" not in kinds  # an app needs its database: no bare form
    accepted = _range_with(kinds, "lan")
    Range.model_validate(accepted)
    (tmp_path / "ok.yaml").write_text(yaml.safe_dump(accepted), encoding="utf-8")
    proc = check_jsonschema("--schemafile", EXPORTED["range"], tmp_path / "ok.yaml")
    assert proc.returncode == 0, proc.stdout + proc.stderr

    for bad_service in ("app", "sshd"):
        with pytest.raises(ValueError):
            Host.model_validate({"name": "h", "role": "server", "services": [bad_service]})
        path = tmp_path / f"{bad_service}.yaml"
        path.write_text(yaml.safe_dump(_range_with([bad_service], ["lan"])), encoding="utf-8")
        proc = check_jsonschema("--schemafile", EXPORTED["range"], path)
        assert proc.returncode == 1, f"the schema accepted `- {bad_service}`"


@pytest.mark.parametrize(("python", "ecma"), [
    (r'^[^/\\\[\]:;|=,+*?<>\"]{1,80}$', r'^[^/\\\[\]:;|=,+*?<>"]{1,80}$'),
    (r"^T\d{4}(\.\d{3})?$", r"^T\d{4}(\.\d{3})?$"),
    (r"^[a-z\-]\-x$", r"^[a-z\-]-x$"),
])
def test_ecma_pattern_keeps_the_meaning(python, ecma):
    assert ecma_pattern(python) == ecma
    for text in ('a"b', "共有", "T1566.001", "a-x", "--x", "/x", "[x]"):
        assert bool(re.search(python, text)) == bool(re.search(ecma, text)), text
