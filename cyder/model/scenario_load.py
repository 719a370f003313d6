"""Read scenario files: YAML, pydantic types, then checks against the scenario's range.

Unknown hosts, users, steps and variables are rejected, cycles between steps are rejected and
unused variables are flagged, each at its file, line and column.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from pathlib import Path
from typing import Any, Iterator

import networkx as nx

from ..errors import InputError
from ..paths import resolve_range
from .load import load_range, validate_partially
from .range import Range, dns_name_problem
from .scenario import VAR_PATTERN, Scenario, Step, parse_offset
from .yamlsource import PathKey, SourceMap, load_yaml


def load_scenario(path: str | Path) -> tuple[Scenario, Range]:
    """Load a scenario and the range it runs on; raise InputError listing every problem."""
    data, smap = load_yaml(path)
    return parse_scenario(data, smap, path)


def parse_scenario(data: Any, smap: SourceMap, path: str | Path) -> tuple[Scenario, Range]:
    """Validate already-parsed YAML data of the file at `path` as a scenario, with its range (the
    range's own problems are listed at the range's file); raise InputError listing every problem."""
    partial = validate_partially(Scenario, data, smap, "scenario")
    problems = list(partial.problems)
    name = data.get("range") if isinstance(data, dict) else None
    rng = None
    if isinstance(name, str) and name:
        range_path = resolve_range(name)
        if not range_path.is_absolute() and not range_path.exists():
            range_path = Path(path).parent / name
        try:
            rng = load_range(range_path)
        except InputError as exc:
            if not range_path.exists():
                problems.append(smap.problem(("range",), f"no range {name!r} (looked for {range_path})"))
            else:
                problems += exc.problems
                problems.append(smap.problem(("range",), f"the range {name!r} has problems (listed at {range_path})"))
    if partial.model is not None and rng is not None:
        problems += partial.checked(check_scenario(partial.model, rng, partial.data, written=data))
    if problems:
        raise InputError(problems)
    return partial.model, rng


def variable_uses(data: Any, path: PathKey = ()) -> Iterator[tuple[PathKey, str, str | None]]:
    """Every `${name}` or `${name.attr}` in the data: (path, name, attribute)."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from variable_uses(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from variable_uses(value, (*path, i))
    elif isinstance(data, str):
        for match in VAR_PATTERN.finditer(data):
            yield path, match.group(1), match.group(2)


def check_scenario(sc: Scenario, rng: Range, data: dict[str, Any], written: dict[str, Any] | None = None
                   ) -> list[tuple[PathKey, str]]:
    """Checks that span the scenario and its range. Returns (path, message). `data` is what `sc` was
    validated from; `written` the whole document when parts with type errors were left out of it
    (a variable used only there still counts as used)."""
    found: list[tuple[PathKey, str]] = []
    add = lambda path, message: found.append((tuple(path), message))  # noqa: E731
    step_ids = {s.id for s in sc.steps}

    for what, items in (("steps", sc.steps), ("injects", sc.injects)):
        counts = Counter(item.id for item in items)
        for i, item in enumerate(items):
            if counts[item.id] > 1:
                add((what, i, "id"), f"id {item.id!r} is used more than once")

    _check_offset(("duration",), sc.duration, add, positive=True)
    graph = nx.DiGraph()
    fallbacks = {s.on_blocked for s in sc.steps}
    for i, step in enumerate(sc.steps):
        where = ("steps", i)
        graph.add_node(step.id)
        if step.id in fallbacks and (step.at is not None or step.after is not None):
            add((*where, "id"), "a fallback (another step's on_blocked) runs when that step is blocked: "
                "give it no at: or after:")
        elif step.id not in fallbacks and (step.at is None) == (step.after is None):
            add((*where, "id"), "give a step exactly one of at: or after:")
        if step.at is not None:
            _check_offset((*where, "at"), step.at, add)
        if step.after is not None:
            _check_offset((*where, "after", "delay"), step.after.delay, add)
            if step.after.step not in step_ids:
                add((*where, "after", "step"), f"unknown step {step.after.step!r}")
            else:
                graph.add_edge(step.after.step, step.id, path=(*where, "after", "step"))
        if isinstance(step.jitter, int) or "${" not in step.jitter:
            _check_offset((*where, "jitter"), step.jitter, add)
        if step.on_blocked != "stop":
            if step.on_blocked not in step_ids:
                add((*where, "on_blocked"), f"unknown step {step.on_blocked!r}")
            else:
                graph.add_edge(step.id, step.on_blocked, path=(*where, "on_blocked"))
        _check_action_refs(sc, rng, step, where, add)
        for k, pre in enumerate(step.requires):
            _check_host_ref(sc, rng, pre.host, (*where, "requires", k, "host"), add, allow_address=False)
            for name in type(pre).needs:
                if not getattr(pre, name):
                    add((*where, "requires", k, "check"), f"{pre.check} needs {name}:")
    try:
        cycle = nx.find_cycle(graph)
        first = cycle[0]
        path = graph.edges[first]["path"]
        add(path, "steps form a cycle: " + " -> ".join([e[0] for e in cycle] + [cycle[0][0]]))
    except nx.NetworkXNoCycle:
        pass

    for i, inject in enumerate(sc.injects):
        where = ("injects", i)
        if (inject.at is None) == (inject.trigger is None):
            add((*where, "id"), "give an inject exactly one of at: or trigger:")
        if inject.trigger is not None and inject.trigger not in step_ids:
            add((*where, "trigger"), f"unknown step {inject.trigger!r}")
        for name in ("at", "delay", "deadline"):
            if getattr(inject, name) is not None:
                _check_offset((*where, name), getattr(inject, name), add, positive=name == "deadline")

    for k, infra in enumerate(sc.infrastructure):
        where = ("infrastructure", k)
        _check_host_ref(sc, rng, infra.host, (*where, "host"), add, allow_address=False)
        for n, name in enumerate(infra.names):
            _check_dns_name((*where, "names", n), name, add)
        if infra.dns_server:
            _check_host_ref(sc, rng, infra.dns_server, (*where, "dns_server"), add, allow_address=False)

    _check_scoring(sc, rng, step_ids, add)
    used = set()
    for path, name, attribute in variable_uses({k: data.get(k) for k in ("steps", "injects", "infrastructure", "scoring")}):
        used.add(name)
        var = sc.variables.get(name)
        if var is None:
            add(path, f"unknown variable ${{{name}}}")
        elif attribute and attribute not in type(var).attributes:
            add(path, f"${{{name}.{attribute}}}: only staff variables have .pc, .mail and .user")
    if written is not None:
        used |= {name for _, name, _ in variable_uses(written)}
    for name, var in sc.variables.items():
        where = ("variables", name)
        if name not in used:
            add(where, f"variable {name!r} is never used")
        var.check_range(rng, where, add)
    return found


def _check_scoring(sc: Scenario, rng: Range, step_ids: set[str], add) -> None:
    """References of the rubric: steps, injects, rules, hosts and services."""
    rubric = sc.scoring
    if rubric is None:
        return
    inject_ids = {i.id for i in sc.injects}
    if rubric.incident:
        if rubric.incident.step and rubric.incident.step not in step_ids:
            add(("scoring", "incident", "step"), f"unknown step {rubric.incident.step!r}")
        for h, host in enumerate(rubric.incident.hosts):
            _check_host_ref(sc, rng, host, ("scoring", "incident", "hosts", h), add, allow_address=False)
    rule_ids = [r.id for r in [*rubric.responses, *rubric.recovery]]
    counts = Counter(rule_ids)
    for section in ("responses", "recovery"):
        for i, rule in enumerate(getattr(rubric, section)):
            where = ("scoring", section, i)
            if counts[rule.id] > 1:
                add((*where, "id"), f"rule id {rule.id!r} is used more than once")
            if rule.step and rule.step not in step_ids:
                add((*where, "step"), f"unknown step {rule.step!r}")
            if rule.after and rule.after not in counts:
                add((*where, "after"), f"unknown rule {rule.after!r}")
            _check_host_ref(sc, rng, rule.check.host, (*where, "check", "host"), add, allow_address=False)
            for name in type(rule.check).needs:
                if getattr(rule.check, name) is None:
                    add((*where, "check"), f"a {rule.check.kind} check needs {name}:")
    for i, report in enumerate(rubric.reports):
        if report.inject and report.inject not in inject_ids:
            add(("scoring", "reports", i, "inject"), f"unknown inject {report.inject!r}")
    for i, ref in enumerate(rubric.availability.services):
        host = rng.host(ref.host)
        if host is None:
            add(("scoring", "availability", "services", i, "host"), f"unknown host {ref.host!r} in range {rng.name}")
        elif not host.offers(ref.service):
            add(("scoring", "availability", "services", i, "service"), f"host {ref.host!r} offers no {ref.service!r} service")
        if rng.host(ref.from_) is None:
            add(("scoring", "availability", "services", i, "from"), f"unknown host {ref.from_!r} in range {rng.name}")
    _check_offset(("scoring", "availability", "round"), rubric.availability.round, add, positive=True)
    for name in ("full", "zero"):
        _check_offset(("scoring", "time_bonus", name), getattr(rubric.time_bonus, name), add)
    for i, hint in enumerate(rubric.hints):
        if hint.step not in step_ids:
            add(("scoring", "hints", i, "step"), f"unknown step {hint.step!r}")
    report_ids = {r.id for r in rubric.reports}
    for name in rubric.model_answer.reports:
        if name not in report_ids:
            add(("scoring", "model_answer", "reports", name), f"unknown report {name!r}")


def _check_offset(path: PathKey, value: int | str, add, positive: bool = False) -> None:
    try:
        seconds = parse_offset(value)
    except ValueError as exc:
        add(path, str(exc))
        return
    if positive and seconds == 0:
        add(path, "must be longer than zero (seconds, or H:MM[:SS] such as 0:30:00)")


def _check_dns_name(path: PathKey, name: str, add) -> None:
    """A DNS name written in the scenario; the parts from ${variables} are checked once chosen."""
    literal = VAR_PATTERN.sub("x", name)
    if any(c.isspace() for c in literal):
        add(path, f"{name!r} contains a space; a DNS name cannot")
    elif problem := dns_name_problem(literal):
        add(path, f"{name!r} {problem}")


class _Refs:
    """The reference checks a step kind may ask for (model.scenario.RefCheck), at paths inside the
    step's action."""

    def __init__(self, sc: Scenario, rng: Range, where: PathKey, add: Any) -> None:
        self.sc, self.range, self.where, self.add = sc, rng, (*where, "action"), add

    def host(self, value: str, where: PathKey, allow_address: bool = False) -> None:
        """Report when `value` names no host (nor a variable giving one, nor an address when allowed)."""
        _check_host_ref(self.sc, self.range, value, (*self.where, *where), self.add, allow_address=allow_address)

    def staff_user(self, value: str, where: PathKey) -> None:
        """Report when `value` names no staff user (a ${variable} is checked once chosen)."""
        if "${" not in value and value not in {s.user for s in self.range.staff}:
            self.add((*self.where, *where), f"unknown staff user {value!r} in range {self.range.name}")

    def dns_name(self, value: str, where: PathKey) -> None:
        """Report when `value` is no valid DNS name."""
        _check_dns_name((*self.where, *where), value, self.add)

    def problem(self, where: PathKey, message: str) -> None:
        """Report a problem inside the action."""
        self.add((*self.where, *where), message)


def _check_action_refs(sc: Scenario, rng: Range, step: Step, where: PathKey, add) -> None:
    """The hosts and staff users a step's action names, then what its kind checks itself."""
    action = step.action
    refs = _Refs(sc, rng, where, add)
    for field in action.host_fields:
        value = getattr(action, field, None)
        if isinstance(value, str):
            refs.host(value, (field,))
    for field in action.user_fields:
        refs.staff_user(getattr(action, field), (field,))
    action.check_refs(refs)


def _check_host_ref(sc: Scenario, rng: Range, value: str, path: PathKey, add, allow_address: bool) -> None:
    match = VAR_PATTERN.fullmatch(value)
    if match:
        var = sc.variables.get(match.group(1))
        ok = var is None or var.names_host(match.group(2), allow_address)
        if not ok:
            add(path, f"{value} does not name a host (use a staff variable's .pc or a host name)")
        return
    if rng.host(value) is not None:
        return
    if allow_address:
        try:
            ipaddress.ip_address(value)
            return
        except ValueError:
            pass
    add(path, f"unknown host {value!r} in range {rng.name}")
