"""Everything the command line prints: the only module of `cyder.cli` that writes to the terminal.

Every line goes through `cyder.output` (`echo` makes control characters visible, `json_text` keeps
JSON free of raw ones), so text from the range or from a trainee never acts on the terminal.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any, cast

from ..output import echo, json_text, one_line

if TYPE_CHECKING:
    from ..backend.base import Progress, RangeStatus
    from ..evidence.store import StoredEvent
    from ..exercise.protocol import ExerciseEvent
    from ..exercise.store import LedgerEntry
    from ..model.range import Range
    from ..model.scenario import Scenario
    from ..scenario.engine import StepEvent
    from ..scenario.variant import Variant
    from ..staff.control import StaffActivity


def say(*values: object, err: bool = False, end: str = "\n", flush: bool = False) -> None:
    """A line of text on stdout (stderr with `err`), control characters made visible."""
    echo(*values, file=sys.stderr if err else None, end=end, flush=flush)


def print_json(data: Any, **options: Any) -> None:
    """Data as JSON on stdout (`json_text`'s options: indent, default ...)."""
    echo(json_text(data, **options))


def print_paths(paths: Iterable[object]) -> None:
    """The files a command wrote, one a line."""
    for path in paths:
        echo(path)


def print_totals(totals: Mapping[str, float]) -> None:
    """The totals line of an exercise."""
    echo("totals: " + ", ".join(f"{k} {v:g}" for k, v in totals.items()))


class ProgressPrinter:
    """Renders backend progress as one line per step, with the time since the command started."""

    def __init__(self, stream: IO[str] = sys.stderr) -> None:
        self.stream, self.started = stream, time.monotonic()

    def __call__(self, event: Progress) -> None:
        count = f" [{event.done}/{event.total}]" if event.total else ""
        detail = f" {event.message}" if event.message else ""
        echo(f"{time.monotonic() - self.started:6.1f}s {event.stage:<8}{count} {event.subject}{detail}",
             file=self.stream, flush=True)


def print_validated(file: str, kind: str) -> None:
    """The line of a file `cyder validate` found valid."""
    echo(f"{file}: ok, a valid {kind}", flush=True)


def print_plan(scenario: Scenario, rng: Range, team: str, seed: int, variant: Variant, as_json: bool) -> None:
    """A team's attack timeline and indicators (`cyder plan`)."""
    from ..model.scenario import format_offset

    if as_json:
        print_json({
            "scenario": scenario.name, "range": rng.name, "team": team, "seed": seed,
            "steps": [{"offset": p.offset, "step": p.step.id, "technique": p.step.technique,
                       "fallback_for": p.fallback_for, "hosts": p.hosts, "indicators": p.indicators}
                      for p in variant.steps],
            "indicators": variant.all_indicators()}, indent=2)
        return
    echo(f"{scenario.name} on {rng.name}, team {team}, seed {seed}")
    for planned in variant.steps:
        when = format_offset(cast(float, planned.offset))  # make_variant gives every step one
        note = f" (if {planned.fallback_for} is blocked)" if planned.fallback_for else ""
        echo(f"{when:>8}  {planned.step.id:<13} {planned.step.technique:<10} {', '.join(planned.hosts)}{note}")
        for category, items in planned.indicators.items():
            echo(f"{'':>10}{category}: {', '.join(items)}")


def step_printer(as_json: bool) -> Callable[[StepEvent], None]:
    """Prints each attack step's outcome as it happens (`cyder attack`)."""
    from ..model.scenario import format_offset

    def show(event: StepEvent) -> None:
        if as_json:
            echo(json_text(event.to_json()), flush=True)
            return
        late = f"{event.lateness:+.0f}s" if event.outcome != "skipped" else ""
        reason = f": {one_line(event.reason)}" if event.reason else ""
        outcome = "RANGE FAULT" if event.outcome == "fault" else event.outcome.upper()
        echo(f"{format_offset(event.actual):>8} {late:>6}  {event.step:<13} {event.technique:<10} "
             f"{outcome}{reason}", flush=True)

    return show


def exercise_printer(as_json: bool) -> Callable[[ExerciseEvent], None]:
    """Prints each exercise event as it happens (`cyder run`); attack steps that failed through the
    range are left to the fault event that follows."""
    from ..model.scenario import format_offset

    def show(event: ExerciseEvent) -> None:
        if as_json:
            echo(json_text({"kind": event.kind, "time": event.time, **event.data}, default=str), flush=True)
            return
        data: Any = event.data
        if event.kind == "step" and data["outcome"] == "fault":
            return  # the fault event that follows says it
        text = {
            "step": lambda: f"step {data['step']} {data['outcome']}" + (f": {data['reason']}" if data.get("reason")
                                                                         else ""),
            "fault": lambda: f"RANGE FAULT (not scored): {data['what']}: {data['reason']}",
            "inject": lambda: f"inject {data['id']}: {data['subject']['en']}",
            "ledger": lambda: f"{data['points']:+g} {data['phase']:<10} {data['reason']}",
            "clock": lambda: f"clock speed {data['speed']:g}" + (" paused" if data["paused"] else ""),
            "range": lambda: f"range {data['range']} {data['state']}",
            "finish": lambda: "finished: " + ", ".join(f"{k} {v:g}" for k, v in data.items()),
        }.get(event.kind)
        if text:
            echo(f"{format_offset(event.time):>8}  {one_line(text())}", flush=True)

    return show


def evidence_printer(as_json: bool) -> Callable[[StoredEvent], None]:
    """Prints each stored evidence event: its raw line, or a JSON object (`cyder logs`)."""

    def show(stored: StoredEvent) -> None:
        e = stored.evidence
        if as_json:
            echo(json_text({"id": stored.id, "time": e.time, "host": e.host, "source": e.source, "kind": e.kind,
                            "fields": e.fields, "raw": e.raw}), flush=True)
        else:
            echo(one_line(e.raw), flush=True)

    return show


def print_ledger(entries: Iterable[LedgerEntry], totals: Mapping[str, float]) -> None:
    """Every line of a team's ledger, then its totals (`cyder ledger`)."""
    from ..model.scenario import format_offset

    for entry in entries:
        echo(f"{format_offset(entry.time):>8} {entry.points:+7g} {entry.phase:<10} {one_line(entry.rule):<32} "
             f"{one_line(entry.reason)}")
    print_totals(totals)


def print_staff(team: str, found: StaffActivity) -> None:
    """The simulated staff's activity (`cyder staff`)."""
    from ..staff.control import format_time_of_day

    if not found.pcs:
        echo(f"team {team}: no simulated staff")
        return
    state = "paused" if found.paused else f"speed {found.speed:g}"
    echo(f"team {team}: {found.pcs} staff PCs, office time {format_time_of_day(found.office or 0)} ({state})")
    for kind in sorted(set(found.done) | set(found.failed)):
        echo(f"  {kind:<10} {found.done.get(kind, 0):>7} done {found.failed.get(kind, 0):>6} failed")
    if found.skipped or found.dropped:
        echo(f"  {found.skipped} skipped after clock jumps, {found.dropped} dropped (generator overloaded)")


def print_status(statuses: Sequence[RangeStatus]) -> None:
    """A table per team: host, state, addresses, services."""
    for status in statuses:
        echo(f"team {status.team}: {status.range_name} ({'healthy' if status.healthy else 'NOT healthy'}), "
             f"segments: {', '.join(status.segments)}")
        for host in status.hosts:
            services = " ".join(f"{name}:{'ok' if ok else 'DOWN'}" for name, ok in host.services.items())
            addresses = " ".join(f"{seg}={addr}" for seg, addr in host.addresses.items())
            failed = f" failed: {one_line(', '.join(host.failed))}" if host.failed else ""
            echo(f"  {host.name:<14} {host.state:<9} {addresses:<40} {services}{failed}")


def print_images(rows: Sequence[Mapping[str, Any]]) -> None:
    """cyder's images with their size and whether they are current (`cyder images list`)."""
    if not rows:
        echo("no cyder images: run `cyder images build`")
    for row in rows:
        echo(f"{row['tag']:<28} {row['id']:<14} {row['size_mb']:>5} MB  {row['created']}"
             f"  {'current' if row['current'] else 'outdated'}")
