"""The import-layer check: the real tree passes, and each rule catches what it should in small trees."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from cyder.devtools import layers
from cyder.devtools.layers import Finding, check, main, strongly_connected

# the registry sources every synthetic tree carries, so the kind-string rule has tags to look for
REGISTRY_SOURCES = {
    "cyder/model/range.py": '''
        from typing import Literal

        class DnsService:
            kind: Literal["dns"] = "dns"

        class SmtpService:
            kind: Literal["smtp"] = "smtp"

        class Host:
            def service(self, kind):
                return None

            def mail_server(self):
                return self.service("smtp")  # the owner may write its own tags
        ''',
    "cyder/model/scenario.py": '''
        from typing import Literal

        class ScanAction:
            kind: Literal["scan"]

        class Precondition:
            check: Literal["reachable", "connected"]
        ''',
    "cyder/model/rubric.py": '''
        from typing import Literal

        class Check:
            kind: Literal["no-cron", "connected"]
        ''',
    "cyder/exercise/actions/block_ip.py": '''
        from typing import Literal

        class BlockIpAction:
            action: Literal["block-ip"]
        ''',
    "cyder/exercise/actions/isolate.py": '''
        from typing import Literal

        class IsolateAction:
            action: Literal["isolate"]
        ''',
}


def tree(root: Path, files: dict[str, str], registries: bool = True) -> Path:
    """Write a package tree under `root` (every folder gets an __init__.py) and return root."""
    everything = {**(REGISTRY_SOURCES if registries else {}), **files}
    for name, text in everything.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    for folder in {p.parent for p in root.rglob("*.py")}:
        init = folder / "__init__.py"
        if not init.exists():
            init.write_text("", encoding="utf-8")
    return root


def found(root: Path, rule: str) -> list[Finding]:
    """The findings of one rule."""
    return [f for f in check(root) if f.rule == rule]


def test_the_real_tree_passes(capsys: pytest.CaptureFixture[str]) -> None:
    """Every finding in the checkout is allowlisted (stale entries only warn)."""
    assert main([]) == 0, capsys.readouterr().out


def test_the_real_tree_has_every_module_in_a_layer() -> None:
    """The layer table covers every module of the checkout, so no import escapes the order rule."""
    root = Path(layers.__file__).resolve().parents[2]
    assert found(root, "layer") == [f for f in found(root, "layer") if f.detail != "unassigned"]
    assert not found(root, "kind-source"), "a registry's tags could not be read: update REGISTRIES"


# -- forbidden third-party imports -------------------------------------------------------------------


def test_a_model_module_reaching_docker_through_a_helper(tmp_path: Path) -> None:
    root = tree(tmp_path, {
        "cyder/model/thing.py": "from ..helper import connect\n",
        "cyder/helper.py": "def connect():\n    import docker\n    return docker.from_env()\n",
    })
    findings = found(root, "forbidden-import")
    by_file = {f.path: f for f in findings}
    assert set(by_file) == {"cyder/model/thing.py", "cyder/helper.py"}
    assert "cyder.model.thing -> cyder.helper -> docker" in by_file["cyder/model/thing.py"].message
    assert by_file["cyder/model/thing.py"].key == "forbidden-import|cyder/model/thing.py|docker"
    assert "only cyder.backend.docker.* may" in by_file["cyder/helper.py"].message


def test_type_checking_and_package_init_imports_count(tmp_path: Path) -> None:
    """An engine module reaches Textual through a TYPE_CHECKING import and through a package's __init__."""
    root = tree(tmp_path, {
        "cyder/scenario/a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..ui.app import App\n",
        "cyder/exercise/b.py": "from ..views.plain import show\n",
        "cyder/views/__init__.py": "from ..ui.app import App\n",
        "cyder/views/plain.py": "def show(): ...\n",
        "cyder/ui/app.py": "from textual.app import App\n",
    })
    messages = {f.path: f.message for f in found(root, "forbidden-import")}
    assert set(messages) == {"cyder/scenario/a.py", "cyder/exercise/b.py"}
    assert "-> cyder.ui.app -> textual" in messages["cyder/exercise/b.py"]


def test_homes_may_import_their_third_party_package(tmp_path: Path) -> None:
    root = tree(tmp_path, {
        "cyder/backend/docker/backend.py": "import docker.errors\n",
        "cyder/ui/app.py": "from textual.app import App\nfrom rich.text import Text\n",
        "cyder/cli.py": "from .backend.docker.backend import x\n",
    })
    assert found(root, "forbidden-import") == []


# -- cycles ------------------------------------------------------------------------------------------


def test_a_two_module_cycle(tmp_path: Path) -> None:
    root = tree(tmp_path, {
        "cyder/provision/plan.py": "from .services import plan_service\n",
        "cyder/provision/services.py": (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .plan import HostPlan\n"),
    })
    (cycle,) = found(root, "cycle")
    assert cycle.key == "cycle|cyder/provision/plan.py|cyder.provision.plan,cyder.provision.services"
    assert "type-checking" in cycle.message
    assert found(root, "package-cycle") == []


def test_a_package_cycle_without_a_module_cycle(tmp_path: Path) -> None:
    root = tree(tmp_path, {
        "cyder/evidence/collect.py": "from ..store.evidence import EvidenceStore\n",
        "cyder/evidence/parse.py": "def parse(): ...\n",
        "cyder/store/evidence.py": "def load():\n    from ..evidence.parse import parse\n",
    })
    assert found(root, "cycle") == []
    (cycle,) = found(root, "package-cycle")
    assert cycle.key == "package-cycle|cyder/evidence|cyder.evidence,cyder.store"


def test_strongly_connected_components() -> None:
    graph = {"a": ["b"], "b": ["c"], "c": ["a", "d"], "d": ["e"], "e": ["d"], "f": []}
    assert sorted(strongly_connected(graph)) == [["a", "b", "c"], ["d", "e"], ["f"]]


# -- layers ------------------------------------------------------------------------------------------


def test_a_layer_order_violation(tmp_path: Path) -> None:
    root = tree(tmp_path, {
        "cyder/model/load.py": "from ..exercise.engine import Exercise\nfrom ..errors import CyderError\n",
        "cyder/exercise/engine.py": "from ..model.load import x\n",
        "cyder/errors.py": "class CyderError(Exception): ...\n",
    })
    (violation,) = found(root, "layer")
    assert violation.key == "layer|cyder/model/load.py|cyder.exercise.engine"
    assert "(model) imports cyder.exercise.engine (exercise, a higher layer; top)" in violation.message


def test_a_module_in_no_layer_and_a_ui_import_outside_its_list(tmp_path: Path) -> None:
    root = tree(tmp_path, {
        "cyder/gadget.py": "",
        "cyder/ui/pane.py": "from ..exercise.engine import Exercise\nfrom ..exercise.protocol import TeamSession\n",
        "cyder/exercise/engine.py": "",
        "cyder/exercise/protocol.py": "",
    })
    assert [f.key for f in found(root, "layer")] == ["layer|cyder/gadget.py|unassigned"]
    assert [f.key for f in found(root, "allowed-imports")] == ["allowed-imports|cyder/ui/pane.py|cyder.exercise.engine"]


def test_a_declared_dynamic_import_is_no_violation(tmp_path: Path) -> None:
    root = tree(tmp_path, {
        "cyder/model/kinds.py": (
            "import importlib\n"
            "def discover():\n    importlib.import_module('cyder.services')\n"
            "def wrong():\n    importlib.import_module('cyder.exercise.engine')\n"),
        "cyder/services/dns.py": "from ..model.kinds import discover\n",
        "cyder/exercise/engine.py": "",
    })
    assert [f.detail for f in found(root, "layer")] == ["cyder.exercise.engine"]
    assert found(root, "cycle") == []


# -- kind strings ------------------------------------------------------------------------------------


def test_kind_strings_outside_their_module(tmp_path: Path) -> None:
    root = tree(tmp_path, {
        "cyder/provision/services.py": '''
            PLANNERS = {"dns": 1, "smtp": 2}
            LABELS = {"smtp": "one common word is no kind table"}

            def plan(svc, host, pre, name):
                if svc.kind == "dns":
                    pass
                if host.service("smtp") is not None:
                    pass
                if svc.kind in ("dns", "scan"):
                    pass
                if pre.check == "connected":
                    pass
                if name == "dns":
                    pass
                if svc.kind == "smtp":  # kind-ok: testing the opt-out
                    pass
                return PLANNERS.get("dns"), "dns"
            ''',
        "cyder/exercise/checks.py": '''
            def run(check, record):
                if check.kind == "no-cron":
                    return record.action == "isolate"
            ''',
        "cyder/devtools/docs.py": 'TABLE = {"dns": 1, "smtp": 2}\n',
    })
    keys = sorted(f.key for f in found(root, "kind-string"))
    assert keys == [
        "kind-string|cyder/exercise/checks.py|action:isolate@run",
        "kind-string|cyder/exercise/checks.py|check:no-cron@run",
        "kind-string|cyder/provision/services.py|precondition:connected@plan",
        "kind-string|cyder/provision/services.py|service:dns@PLANNERS",
        "kind-string|cyder/provision/services.py|service:dns@plan",
        "kind-string|cyder/provision/services.py|service:smtp@PLANNERS",
        "kind-string|cyder/provision/services.py|service:smtp@plan",
        "kind-string|cyder/provision/services.py|step:scan@plan",
    ]
    (dns,) = [f for f in found(root, "kind-string") if f.detail == "service:dns@plan"]
    assert dns.line == 5 and "(3 times)" in dns.message  # svc.kind ==, svc.kind in, PLANNERS.get


def test_kind_tags_are_read_from_wherever_the_table_points(tmp_path: Path) -> None:
    """After a registry moves to one module per kind, each tag belongs to its own module."""
    root = tree(tmp_path, {
        "cyder/services/dns.py": 'from typing import Literal\nclass DnsService:\n    kind: Literal["dns"]\n'
                                 'ALIASES = ("dns", "named")\n',
        "cyder/services/smtp.py": 'from typing import Literal\nclass SmtpService:\n    kind: Literal["smtp"]\n'
                                  'def relay(svc):\n    return svc.kind == "dns"\n',
    }, registries=False)
    assert [f.key for f in found(root, "kind-string")] == ["kind-string|cyder/services/smtp.py|service:dns@relay"]
    sources = {f.detail for f in found(root, "kind-source")}
    assert sources == {"step", "check", "precondition", "action"}  # their files are absent here


# -- the command and its allowlist -------------------------------------------------------------------


def test_the_allowlist_silences_known_findings_and_reports_stale_ones(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tree(tmp_path / "tree", {
        "cyder/provision/plan.py": "from .services import x\n",
        "cyder/provision/services.py": "from .plan import y\n",
    })
    allow = tmp_path / "allow.txt"
    args = ["--root", str(root), "--allowlist", str(allow)]

    allow.write_text("")
    assert main(args) == 1
    out = capsys.readouterr()
    assert "cyder/provision/plan.py:1: cycle: import cycle: cyder.provision.plan -> cyder.provision.services" in out.out

    allow.write_text("# known\ncycle|cyder/provision/plan.py|cyder.provision.plan,cyder.provision.services\n"
                     "kind-string|cyder/gone.py|service:dns@x\n")
    assert main(args) == 0
    out = capsys.readouterr()
    assert out.out == ""
    assert "allow.txt:3: stale: nothing matches 'kind-string|cyder/gone.py|service:dns@x'" in out.err
    assert main([*args, "--strict"]) == 1
    capsys.readouterr()
    assert main([*args, "--all"]) == 0
    assert "[allowed: cycle|cyder/provision/plan.py|" in capsys.readouterr().out


def test_a_file_that_does_not_parse_is_a_finding(tmp_path: Path) -> None:
    root = tree(tmp_path, {"cyder/model/broken.py": "def f(:\n"})
    (problem,) = found(root, "syntax")
    assert problem.path == "cyder/model/broken.py"
