"""The import-layer check: what each cyder module may import, read from the source with `ast`.

    python -m cyder.devtools.layers [--root DIR] [--allowlist FILE] [--all] [--strict]

It imports no cyder module to build the graph. Each rule is driven by a table below, so the tables
can follow modules as they move:

- forbidden-import: the engine layers (ENGINE) never reach Docker, Textual, Rich, textual-serve or
  aiohttp, not even through other cyder modules; only the homes in THIRD_PARTY_HOMES import them.
- cycle, package-cycle: no two modules (or top-level packages) import each other, directly or around
  a loop, counting top-level, function-level and TYPE_CHECKING imports (Tarjan's SCCs).
- layer, allowed-imports: a module imports only modules of its own layer or lower ones (LAYERS),
  and the packages in ALLOWED_IMPORTS only what is listed there.
- kind-string: a registry's kind tag ("dns", "beacon-http", "no-cron", "block-ip") is written as a
  string only in the module that defines it (REGISTRIES).

Findings print as `file:line: rule: message`. Those that existed when issue 13's refactor began are
listed in layers_allow.txt by a stable key (`rule|file|detail`, no line numbers). The check fails on
any finding not listed, and warns about listed entries that nothing matches any more (failing with
--strict), so the list only shrinks.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

PACKAGE = "cyder"
ALLOWLIST = Path(__file__).with_name("layers_allow.txt")

# -- the tables --------------------------------------------------------------------------------------
# Module patterns: "cyder.cli" is that module only; "cyder.model.*" is cyder.model and everything
# under it. Where several patterns match a module, the longest one wins.

LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # lowest first; a module may import its own layer and the layers above it in this list
    ("base", ("cyder", "cyder.errors", "cyder.output", "cyder.paths", "cyder.sqlite", "cyder.agent.*")),
    ("model", ("cyder.model.*", "cyder.yamlsource", "cyder.schema")),
    ("services", ("cyder.services.*", "cyder.provision.*")),
    ("backend interface", ("cyder.backend", "cyder.backend.base", "cyder.backend.offline")),
    ("runtime", ("cyder.staff.*", "cyder.staffing", "cyder.evidence.*", "cyder.store.*", "cyder.scenario.*")),
    ("exercise", ("cyder.exercise.*",)),
    ("docker", ("cyder.backend.docker.*", "cyder.hostnet")),
    ("interfaces", ("cyder.application", "cyder.cli.*", "cyder.ui.*", "cyder.devtools.*", "cyder.__main__")),
)

ALLOWED_IMPORTS: dict[str, tuple[str, ...]] = {
    # these packages may import only the cyder modules listed (besides their own)
    "cyder.ui.*": ("cyder.ui.*", "cyder.exercise.protocol", "cyder.model.*", "cyder.output", "cyder.errors",
                   "cyder.paths"),
    "cyder.agent.*": ("cyder.agent.*",),  # copied into the containers alone
}

DYNAMIC_IMPORTS: dict[str, tuple[str, ...]] = {
    # declared upward dependencies: the registries in cyder.model import their kinds' packages when
    # first used; a literal importlib.import_module() of these is no layer violation and no cycle
    "cyder.model.*": ("cyder.services.*", "cyder.scenario.steps.*", "cyder.scenario.preconditions.*",
                      "cyder.scenario.variables.*", "cyder.exercise.checks.*", "cyder.exercise.actions.*"),
}

ENGINE: tuple[str, ...] = (
    "cyder.model.*", "cyder.scenario.*", "cyder.exercise.*", "cyder.services.*", "cyder.provision.*",
    "cyder.evidence.*", "cyder.store.*", "cyder.staff.*", "cyder.staffing", "cyder.backend.base",
)
ENGINE_FORBIDDEN: tuple[str, ...] = ("docker", "textual", "rich", "textual_serve", "aiohttp")
THIRD_PARTY_HOMES: dict[str, tuple[str, ...]] = {
    "docker": ("cyder.backend.docker.*",),
    "textual": ("cyder.ui.*",),
    "rich": ("cyder.ui.*",),
    "textual_serve": ("cyder.ui.*",),
    "aiohttp": ("cyder.ui.*",),
}


@dataclass(frozen=True)
class LiteralField:
    """Tags read from the `Literal[...]` of one field of the matching classes (`kind: Literal["dns"]`)."""

    files: tuple[str, ...]  # globs relative to the root
    classes: str = ".*"  # regular expression searched in the class names
    field: str = "kind"

    def read(self, root: Path) -> list[tuple[str, Path]]:
        """Each tag with a file that defines it (a tag defined twice, mid-move, has two owners)."""
        tags: list[tuple[str, Path]] = []
        for path in _globbed(root, self.files):
            for node in ast.walk(_parse(path)):
                if isinstance(node, ast.ClassDef) and re.search(self.classes, node.name):
                    for item in node.body:
                        if (isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
                                and item.target.id == self.field):
                            tags.extend((tag, path) for tag in _literal_strings(item.annotation))
        return tags


@dataclass(frozen=True)
class CallArgument:
    """Tags read from the first argument of each `call(...)` in the value assigned to `name`."""

    files: tuple[str, ...]
    name: str  # e.g. ACTIONS
    call: str  # e.g. ActionSpec

    def read(self, root: Path) -> list[tuple[str, Path]]:
        """Each tag with a file that defines it."""
        tags: list[tuple[str, Path]] = []
        for path in _globbed(root, self.files):
            for stmt in _parse(path).body:
                value = _assigned_value(stmt)
                if value is None or self.name not in _assigned_names(stmt):
                    continue
                for node in ast.walk(value):
                    if (isinstance(node, ast.Call) and _callee(node) == self.call and node.args
                            and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                        tags.append((node.args[0].value, path))
        return tags


@dataclass(frozen=True)
class Registry:
    """A kind registry: where its tags come from, who may write them, and what uses of a tag count."""

    name: str
    source: LiteralField | CallArgument
    attrs: tuple[str, ...]  # `x.<attr> == "tag"` or `<attr> == "tag"` counts
    calls: tuple[str, ...] = ()  # `x.<call>("tag")` counts
    owners: tuple[str, ...] = ()  # module patterns that may write every tag (besides each tag's own module)


REGISTRIES: tuple[Registry, ...] = (
    Registry("service", LiteralField(("cyder/model/range.py", "cyder/services/*.py"), classes=r"Service$"),
             attrs=("kind", "service"), calls=("service", "offers")),
    Registry("step", LiteralField(("cyder/model/scenario.py", "cyder/scenario/steps/*.py"), classes=r"Action$"),
             attrs=("kind", "action")),
    Registry("check", LiteralField(("cyder/model/rubric.py", "cyder/exercise/checks/*.py"), classes=r"Check$"),
             attrs=("kind",)),
    Registry("precondition", LiteralField(("cyder/model/scenario.py", "cyder/scenario/preconditions/*.py"),
                                          classes=r"Precondition$", field="check"), attrs=("check",)),
    Registry("action", LiteralField(("cyder/exercise/actions/*.py",), classes=r"Action$", field="action"),
             attrs=("action",)),
)
KIND_EXEMPT: tuple[str, ...] = ("cyder.devtools.*",)
KIND_OK = "# kind-ok"  # a line carrying this comment (with a reason) may write a tag


@dataclass(frozen=True)
class Rules:
    """Every table the check reads; tests pass their own."""

    package: str = PACKAGE
    layers: tuple[tuple[str, tuple[str, ...]], ...] = LAYERS
    allowed_imports: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(ALLOWED_IMPORTS))
    dynamic_imports: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(DYNAMIC_IMPORTS))
    engine: tuple[str, ...] = ENGINE
    engine_forbidden: tuple[str, ...] = ENGINE_FORBIDDEN
    third_party_homes: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(THIRD_PARTY_HOMES))
    registries: tuple[Registry, ...] = REGISTRIES
    kind_exempt: tuple[str, ...] = KIND_EXEMPT


# -- the scan ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Import:
    """One import statement's edge: cyder module to cyder module, or to a third-party top-level name."""

    source: str
    target: str
    line: int
    context: str  # top, function, type-checking or dynamic
    internal: bool


@dataclass
class Module:
    """One source file of the package."""

    name: str
    path: str  # relative to the root, with '/'
    is_package: bool
    tree: ast.Module | None  # None when the file does not parse
    lines: list[str]


@dataclass
class Project:
    """The package's modules and every import edge between them and out of them."""

    root: Path
    package: str
    modules: dict[str, Module]
    imports: list[Import]
    problems: list[Finding] = field(default_factory=list)

    def internal(self) -> Iterator[Import]:
        """Edges between two different cyder modules."""
        return (i for i in self.imports if i.internal and i.source != i.target)


def module_name(root: Path, path: Path) -> str:
    """`cyder/model/range.py` -> `cyder.model.range`; a package's `__init__.py` names the package."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def scan(root: Path, package: str = PACKAGE) -> Project:
    """Read every `<root>/<package>/**/*.py` and the import edges of each (no cyder module is imported)."""
    root = Path(root)
    modules: dict[str, Module] = {}
    problems: list[Finding] = []
    for path in sorted((root / package).rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(root).as_posix()
        try:
            tree: ast.Module | None = ast.parse(text, filename=rel)
        except SyntaxError as exc:
            tree = None
            problems.append(Finding("syntax", rel, exc.lineno or 1, f"does not parse: {exc.msg}", "unparsable"))
        name = module_name(root, path)
        modules[name] = Module(name, rel, path.name == "__init__.py", tree, text.splitlines())
    imports: list[Import] = []
    for module in modules.values():
        if module.tree is not None:
            imports.extend(_ImportVisitor(module, modules, package).collect())
    return Project(root, package, modules, imports, problems)


class _ImportVisitor(ast.NodeVisitor):
    """Collects a module's imports with the context each runs in."""

    def __init__(self, module: Module, modules: dict[str, Module], package: str) -> None:
        self.module = module
        self.modules = modules
        self.package = package
        self.context = "top"
        self.found: list[Import] = []

    def collect(self) -> list[Import]:
        assert self.module.tree is not None
        self.visit(self.module.tree)
        return self.found

    def _inside(self, context: str, nodes: Iterable[ast.AST]) -> None:
        outer = self.context
        if outer != "type-checking":
            self.context = context
        for node in nodes:
            self.visit(node)
        self.context = outer

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._inside("function", [*node.decorator_list, *node.body])

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._inside("function", [*node.decorator_list, *node.body])

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._inside("function", [node.body])

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        if (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
                isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"):
            self._inside("type-checking", node.body)
            for stmt in node.orelse:
                self.visit(stmt)
        else:
            self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, None, node.lineno)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = self._absolute(node)
        if base is None:
            return
        for alias in node.names:
            self._add(base, alias.name, node.lineno)

    def visit_Call(self, node: ast.Call) -> None:
        if (_callee(node) in ("import_module", "__import__") and node.args
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            outer, self.context = self.context, "dynamic"
            self._add(node.args[0].value, None, node.lineno)
            self.context = outer
        self.generic_visit(node)

    def _absolute(self, node: ast.ImportFrom) -> str | None:
        if node.level == 0:
            return node.module
        parts = self.module.name.split(".")
        if not self.module.is_package:
            parts.pop()
        up = node.level - 1
        if up > len(parts) - 1:
            return None
        parts = parts[:len(parts) - up]
        return ".".join([*parts, *(node.module.split(".") if node.module else [])])

    def _add(self, name: str, member: str | None, line: int) -> None:
        top = name.split(".")[0]
        if top != self.package:
            self.found.append(Import(self.module.name, top, line, self.context, False))
            return
        if member is not None and f"{name}.{member}" in self.modules:
            target: str | None = f"{name}.{member}"
        else:
            target = _longest_known(name, self.modules)
        if target is not None:
            self.found.append(Import(self.module.name, target, line, self.context, True))


def _longest_known(name: str, modules: dict[str, Module]) -> str | None:
    parts = name.split(".")
    while parts:
        if ".".join(parts) in modules:
            return ".".join(parts)
        parts.pop()
    return None


# -- findings ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One problem: where it is, what it is, and its allowlist key (no line numbers in it)."""

    rule: str
    path: str
    line: int
    message: str
    detail: str
    where: str | None = None  # the key's file part when it is not `path` (a package's folder)

    @property
    def key(self) -> str:
        """The allowlist key: `rule|file|detail`."""
        return f"{self.rule}|{self.where or self.path}|{self.detail}"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.rule}: {self.message}"


def matches(module: str, pattern: str) -> bool:
    """Whether a module matches a pattern (`cyder.cli` exactly, `cyder.model.*` the package and below)."""
    if pattern.endswith(".*"):
        base = pattern[:-2]
        return module == base or module.startswith(base + ".")
    return module == pattern


def _best(module: str, patterns: Iterable[str]) -> str | None:
    """The most specific pattern that matches, if any."""
    found = [p for p in patterns if matches(module, p)]
    return max(found, key=lambda p: (p.removesuffix(".*").count("."), not p.endswith(".*")), default=None)


def _matches_any(module: str, patterns: Iterable[str]) -> bool:
    return any(matches(module, p) for p in patterns)


def check(root: Path, rules: Rules | None = None) -> list[Finding]:
    """Every finding of every rule for the tree at `root`, in file and line order."""
    rules = rules or Rules()
    project = scan(root, rules.package)
    findings = [*project.problems, *check_third_party(project, rules), *check_cycles(project, rules),
                *check_layers(project, rules), *check_kind_strings(project, rules)]
    unique = {f.key: f for f in reversed(findings)}  # the first of each key wins
    return sorted(unique.values(), key=lambda f: (f.path, f.line, f.rule, f.detail))


def check_third_party(project: Project, rules: Rules) -> list[Finding]:
    """forbidden-import: third-party packages outside their home, and engine modules that reach them."""
    findings: list[Finding] = []
    direct: dict[str, dict[str, Import]] = {}
    for imp in project.imports:
        if not imp.internal and imp.target in rules.third_party_homes:
            direct.setdefault(imp.source, {}).setdefault(imp.target, imp)
    for name, found in sorted(direct.items()):
        for lib, imp in sorted(found.items()):
            homes = rules.third_party_homes[lib]
            if not _matches_any(name, homes):
                findings.append(Finding("forbidden-import", project.modules[name].path, imp.line,
                                        f"{name} imports {lib} ({imp.context}); only {', '.join(homes)} may", lib))
    graph = _adjacency(project, with_parents=True)
    for name in sorted(project.modules):
        if not _matches_any(name, rules.engine):
            continue
        reached = _paths_from(name, graph)
        for lib in rules.engine_forbidden:
            via = sorted((len(chain), chain) for mod, chain in reached.items() if lib in direct.get(mod, {}))
            if not via:
                continue
            chain = via[0][1]
            if len(chain) == 1:
                line = direct[name][lib].line
                message = f"{name} is an engine module and imports {lib}"
            else:
                line = _edge_line(graph, chain[0], chain[1])
                message = f"{name} is an engine module and reaches {lib} through {' -> '.join(chain)} -> {lib}"
            findings.append(Finding("forbidden-import", project.modules[name].path, line, message, lib))
    return findings


def _adjacency(project: Project, with_parents: bool = False,
               skip: Callable[[Import], bool] | None = None) -> dict[str, dict[str, Import]]:
    """source -> target -> the first edge; with_parents adds each target's packages (they run first)."""
    graph: dict[str, dict[str, Import]] = {name: {} for name in project.modules}
    for imp in project.internal():
        if skip is not None and skip(imp):
            continue
        targets = [imp.target]
        if with_parents:
            parts = imp.target.split(".")
            targets += [".".join(parts[:i]) for i in range(len(parts) - 1, 0, -1)]
        for target in targets:
            if target in project.modules and target != imp.source:
                graph[imp.source].setdefault(target, imp)
    return graph


def _paths_from(start: str, graph: dict[str, dict[str, Import]]) -> dict[str, list[str]]:
    """Every module reachable from `start` (itself included) with a shortest chain to it."""
    chains = {start: [start]}
    queue = deque([start])
    while queue:
        here = queue.popleft()
        for there in sorted(graph.get(here, {})):
            if there not in chains:
                chains[there] = [*chains[here], there]
                queue.append(there)
    return chains


def _edge_line(graph: dict[str, dict[str, Import]], source: str, target: str) -> int:
    return graph[source][target].line


def strongly_connected(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components of a directed graph (iterative), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            for succ in successors:
                if succ not in graph:
                    continue
                if succ not in index:
                    index[succ] = low[succ] = counter
                    counter += 1
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(sorted(graph[succ]))))
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(sorted(component))
    return components


def _shortest_cycle(start: str, members: set[str], graph: dict[str, dict[str, Import]]) -> list[str]:
    """A shortest loop start -> ... -> start inside one component."""
    chains = {start: [start]}
    queue = deque([start])
    while queue:
        here = queue.popleft()
        for there in sorted(graph[here]):
            if there == start:
                return [*chains[here], start]
            if there in members and there not in chains:
                chains[there] = [*chains[here], there]
                queue.append(there)
    return [start, start]


def check_cycles(project: Project, rules: Rules) -> list[Finding]:
    """cycle and package-cycle: modules, or top-level packages, that import each other."""

    def declared(imp: Import) -> bool:
        return imp.context == "dynamic" and _declared_dynamic(imp, rules)

    graph = _adjacency(project, skip=declared)
    findings: list[Finding] = []
    for component in strongly_connected(graph):
        if len(component) < 2:
            continue
        loop = _shortest_cycle(component[0], set(component), graph)
        steps = [f"{a} -> {b} ({graph[a][b].context}, line {graph[a][b].line})" for a, b in pairwise(loop)]
        findings.append(Finding("cycle", project.modules[component[0]].path, graph[loop[0]][loop[1]].line,
                                f"import cycle: {'; '.join(steps)}", ",".join(component)))

    def top(name: str) -> str:
        return ".".join(name.split(".")[:2])

    packages: dict[str, dict[str, Import]] = {}
    for source, targets in graph.items():
        packages.setdefault(top(source), {})
        for target, imp in targets.items():
            if top(target) != top(source):
                packages[top(source)].setdefault(top(target), imp)
    for component in strongly_connected(packages):
        if len(component) < 2:
            continue
        loop = _shortest_cycle(component[0], set(component), packages)
        steps = [f"{a} -> {b} ({packages[a][b].source} line {packages[a][b].line})" for a, b in pairwise(loop)]
        first = packages[loop[0]][loop[1]]
        package = project.modules.get(component[0])
        where = package.path.removesuffix("/__init__.py") if package else component[0].replace(".", "/")
        findings.append(Finding("package-cycle", project.modules[first.source].path, first.line,
                                f"packages import each other: {'; '.join(steps)}", ",".join(component), where))
    return findings


def _declared_dynamic(imp: Import, rules: Rules) -> bool:
    targets = rules.dynamic_imports.get(_best(imp.source, rules.dynamic_imports) or "", ())
    return _matches_any(imp.target, targets)


def layer_of(module: str, rules: Rules) -> int | None:
    """The index of a module's layer in the table, or None when no pattern matches it."""
    best: tuple[tuple[int, bool], int] | None = None
    for number, (_name, patterns) in enumerate(rules.layers):
        pattern = _best(module, patterns)
        if pattern is not None:
            rank = (pattern.removesuffix(".*").count("."), not pattern.endswith(".*"))
            if best is None or rank > best[0]:
                best = (rank, number)
    return None if best is None else best[1]


def check_layers(project: Project, rules: Rules) -> list[Finding]:
    """layer and allowed-imports: imports that go up the layer table, or outside a package's allowed list."""
    findings: list[Finding] = []
    for name, module in sorted(project.modules.items()):
        if layer_of(name, rules) is None:
            findings.append(Finding("layer", module.path, 1, f"{name} is in no layer: add it to LAYERS in "
                                    "cyder/devtools/layers.py", "unassigned"))
    for imp in project.internal():
        source, target = project.modules[imp.source], imp.target
        low, high = layer_of(imp.source, rules), layer_of(target, rules)
        if low is not None and high is not None and high > low and not (
                imp.context == "dynamic" and _declared_dynamic(imp, rules)):
            findings.append(Finding(
                "layer", source.path, imp.line,
                f"{imp.source} ({rules.layers[low][0]}) imports {target} ({rules.layers[high][0]}, a higher "
                f"layer; {imp.context})", target))
        pattern = _best(imp.source, rules.allowed_imports)
        if pattern is not None and not _matches_any(target, rules.allowed_imports[pattern]):
            findings.append(Finding(
                "allowed-imports", source.path, imp.line,
                f"{imp.source} imports {target} ({imp.context}); {pattern} may import only "
                f"{', '.join(rules.allowed_imports[pattern])}", target))
    return findings


# -- kind strings ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tag:
    registry: Registry
    owner: str  # the module that defines the tag


def check_kind_strings(project: Project, rules: Rules) -> list[Finding]:
    """kind-string: a registry's tag written as a string outside the module that owns it."""
    findings: list[Finding] = []
    tags: dict[str, list[_Tag]] = {}
    for registry in rules.registries:
        read = registry.source.read(project.root)
        if not read:
            findings.append(Finding("kind-source", "cyder/devtools/layers.py", 1,
                                    f"no {registry.name} kinds read from {', '.join(registry.source.files)}: "
                                    "update REGISTRIES", registry.name))
        for tag, path in read:
            if all(t.registry is not registry or t.owner != module_name(project.root, path) for t in tags.get(tag, [])):
                tags.setdefault(tag, []).append(_Tag(registry, module_name(project.root, path)))
    counts: dict[str, int] = {}
    first: dict[str, Finding] = {}
    for name, module in sorted(project.modules.items()):
        if module.tree is None or _matches_any(name, rules.kind_exempt):
            continue
        for node, registry, tag, scope in _KindVisitor(tags).found_in(module.tree):
            line = module.lines[node.lineno - 1] if node.lineno <= len(module.lines) else ""
            if KIND_OK in line:
                continue
            owners = [t.owner for t in tags[tag] if t.registry is registry]
            if name in owners or _matches_any(name, registry.owners):
                continue
            finding = Finding("kind-string", module.path, node.lineno,
                              f"{registry.name} kind {tag!r} written in {scope}, outside {', '.join(owners)}",
                              f"{registry.name}:{tag}@{scope}")
            counts[finding.key] = counts.get(finding.key, 0) + 1
            first.setdefault(finding.key, finding)
    for key, finding in first.items():
        if counts[key] > 1:
            finding = Finding(finding.rule, finding.path, finding.line,
                              f"{finding.message} ({counts[key]} times)", finding.detail)
        findings.append(finding)
    return findings


class _KindVisitor(ast.NodeVisitor):
    """Finds the uses of tags that count: comparisons, `.service("x")`, registry keys, module tables."""

    def __init__(self, tags: dict[str, list[_Tag]]) -> None:
        self.tags = tags
        self.scope: list[str] = []
        self.found: list[tuple[ast.expr, Registry, str, str]] = []

    def found_in(self, tree: ast.Module) -> list[tuple[ast.expr, Registry, str, str]]:
        """Each use: the string's node, its registry, the tag, and the enclosing def, class or table."""
        self.visit(tree)
        return self.found

    def _where(self) -> str:
        return ".".join(self.scope) or "<module>"

    def _flag(self, node: ast.expr, want: Callable[[Registry], bool]) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            for tag in self.tags.get(node.value, []):
                if want(tag.registry):
                    self.found.append((node, tag.registry, node.value, self._where()))

    def _table(self, entries: list[ast.expr]) -> None:
        """A module-level table counts for a registry when it holds two or more of its tags: one
        common word ("app" as a Docker label, "postgres" as a syslog tag) is not a kind table."""
        hits: dict[str, list[tuple[ast.expr, Registry, str]]] = {}
        for node in entries:
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                for tag in self.tags.get(node.value, []):
                    hits.setdefault(tag.registry.name, []).append((node, tag.registry, node.value))
        for found in hits.values():
            if len({tag for _node, _registry, tag in found}) >= 2:
                self.found.extend((node, registry, tag, self._where()) for node, registry, tag in found)

    def _scoped(self, name: str, node: ast.AST) -> None:
        self.scope.append(name)
        self.generic_visit(node)
        self.scope.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._scoped(node.name, node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._scoped(node.name, node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._scoped(node.name, node)

    def visit_Module(self, node: ast.Module) -> None:
        for stmt in node.body:
            value = _assigned_value(stmt)
            names = _assigned_names(stmt)
            if value is not None and names:
                self.scope.append(names[0])
                self._table(list(_table_entries(value)))
                self.generic_visit(stmt)
                self.scope.pop()
            else:
                self.visit(stmt)

    def visit_Compare(self, node: ast.Compare) -> None:
        operands = [node.left, *node.comparators]
        for a, b in pairwise(operands):
            for subject, other in ((a, b), (b, a)):
                attr = _subject(subject)
                if attr is not None:
                    for const in _constants(other):
                        self._flag(const, _compared_with(attr))
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and node.args:
            if func.attr == "get" and _is_constant_name(func.value):
                self._flag(node.args[0], lambda _r: True)
            else:
                self._flag(node.args[0], lambda r: func.attr in r.calls)
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if _is_constant_name(node.value):
            self._flag(node.slice, lambda _r: True)
        self.generic_visit(node)


def _compared_with(attr: str) -> Callable[[Registry], bool]:
    return lambda registry: attr in registry.attrs


def _subject(node: ast.expr) -> str | None:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


def _constants(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return list(node.elts)
    return [node]


def _is_constant_name(node: ast.expr) -> bool:
    """A module-level table by convention: an UPPER_CASE name (a registry, PLANNERS, STEP_KINDS)."""
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
    return bool(name) and name.upper() == name and any(c.isalpha() for c in name)


def _table_entries(node: ast.expr) -> Iterator[ast.expr]:
    """Dict keys and set, tuple and list elements of a literal table, nested ones included."""
    if isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values, strict=True):
            if key is not None:
                yield key
            yield from _table_entries(value)
    elif isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        for elt in node.elts:
            if isinstance(elt, ast.Constant):
                yield elt
            else:
                yield from _table_entries(elt)
    elif isinstance(node, ast.Call) and _callee(node) in ("frozenset", "set", "tuple", "dict"):
        for arg in node.args:
            yield from _table_entries(arg)


# -- small ast helpers -------------------------------------------------------------------------------


def _parse(path: Path) -> ast.Module:
    try:
        return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except SyntaxError:
        return ast.Module(body=[], type_ignores=[])


def _globbed(root: Path, patterns: Sequence[str]) -> list[Path]:
    return sorted({p for pattern in patterns for p in root.glob(pattern) if p.is_file()})


def _callee(node: ast.Call) -> str | None:
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _assigned_names(stmt: ast.stmt) -> list[str]:
    if isinstance(stmt, ast.Assign):
        return [t.id for t in stmt.targets if isinstance(t, ast.Name)]
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        return [stmt.target.id]
    return []


def _assigned_value(stmt: ast.stmt) -> ast.expr | None:
    if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
        return stmt.value
    return None


def _literal_strings(annotation: ast.expr) -> list[str]:
    """The strings of `Literal["a", "b"]` (also `typing.Literal`), else nothing."""
    if not isinstance(annotation, ast.Subscript):
        return []
    name = _subject(annotation.value)
    if name != "Literal":
        return []
    return [c.value for c in _constants(annotation.slice) if isinstance(c, ast.Constant) and isinstance(c.value, str)]


# -- the allowlist and the command -------------------------------------------------------------------


def read_allowlist(path: Path) -> dict[str, int]:
    """Allowlist keys with their line numbers (blank lines and `#` comments skipped)."""
    if not path.exists():
        return {}
    keys: dict[str, int] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if line:
            keys.setdefault(line, number)
    return keys


def main(argv: Sequence[str] | None = None) -> int:
    """Run the check; 0 when every finding is allowlisted (and, with --strict, no entry is stale)."""
    parser = argparse.ArgumentParser(prog="python -m cyder.devtools.layers", description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[2],
                        help="the folder holding the cyder package (default: this checkout)")
    parser.add_argument("--allowlist", type=Path, default=None,
                        help="findings to tolerate, one key a line (default: cyder/devtools/layers_allow.txt "
                             "under the root)")
    parser.add_argument("--all", action="store_true", help="also print allowlisted findings, with their keys")
    parser.add_argument("--strict", action="store_true", help="fail on allowlist entries that match nothing")
    args = parser.parse_args(argv)
    allow_path = args.allowlist or args.root / "cyder" / "devtools" / ALLOWLIST.name
    allowed = read_allowlist(allow_path)
    findings = check(args.root)
    new = [f for f in findings if f.key not in allowed]
    known = [f for f in findings if f.key in allowed]
    for finding in new:
        print(finding)
    if args.all:
        for finding in known:
            print(f"{finding}  [allowed: {finding.key}]")
    seen = {f.key for f in findings}
    stale = [(key, line) for key, line in allowed.items() if key not in seen]
    shown = allow_path.relative_to(args.root) if allow_path.is_relative_to(args.root) else allow_path
    for key, line in stale:
        print(f"{shown}:{line}: stale: nothing matches {key!r} any more; delete the line", file=sys.stderr)
    by_rule: dict[str, int] = {}
    for finding in known:
        by_rule[finding.rule] = by_rule.get(finding.rule, 0) + 1
    summary = ", ".join(f"{rule} {n}" for rule, n in sorted(by_rule.items())) or "none"
    print(f"layers: {len(new)} new finding(s); {len(known)} allowlisted ({summary}); {len(stale)} stale "
          "allowlist entr" + ("y" if len(stale) == 1 else "ies"), file=sys.stderr)
    return 1 if new or (args.strict and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
