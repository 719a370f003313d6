"""The `cyder` command line: validate ranges, build images, bring ranges up and down, show status.

It parses arguments, calls the model and the range backend, and renders what they return or
report; it holds no range logic of its own.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Sequence

from .errors import CyderError, InputError
from .output import echo, json_text, one_line
from .paths import resolve_range

DEFAULT_RANGE = "saida-city"
DEFAULT_TEAM = "team1"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `cyder` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args) or 0
    except InputError as exc:
        for problem in exc.problems:
            echo(problem, file=sys.stderr)
        return exc.exit_code
    except CyderError as exc:
        echo(f"cyder: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        echo("cyder: interrupted", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="cyder", description="Cyber-defense exercise simulator.")
    sub = parser.add_subparsers(metavar="COMMAND")

    p = sub.add_parser("validate", help="check range and scenario files; report every problem with file:line:col")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("schema", help="print a JSON Schema for editors (yaml-language-server)")
    p.add_argument("kind", choices=["range", "scenario"])
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser("plan", help="print a team's attack timeline and indicators (no Docker needed)")
    p.add_argument("scenario", help="scenario file or shipped name")
    p.add_argument("--team", default=DEFAULT_TEAM, help=f"team name (default {DEFAULT_TEAM})")
    p.add_argument("--seed", type=int, help="variant seed (default: the team's exercise's own, from the store)")
    p.add_argument("--store", help="exercise database to read the team's seed from (default $CYDER_DATA/exercises.sqlite)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("attack", help="replay a scenario against a team's running range")
    p.add_argument("scenario", help="scenario file or shipped name")
    p.add_argument("--team", default=DEFAULT_TEAM, help=f"team name (default {DEFAULT_TEAM})")
    p.add_argument("--seed", type=int, help="variant seed (default: the team's exercise's own, else a new random one)")
    p.add_argument("--store", help="exercise database to read the team's seed from (default $CYDER_DATA/exercises.sqlite)")
    p.add_argument("--speed", type=float, default=1.0, help="clock speed: 60 runs an hour in a minute (default 1)")
    p.add_argument("--until", help="stop before steps planned after this time (H:MM[:SS] or seconds)")
    p.add_argument("--json", action="store_true", help="print each event as a JSON line")
    p.set_defaults(func=cmd_attack)

    p = sub.add_parser("up", help="bring up a team's range and wait until every service answers")
    p.add_argument("range", nargs="?", default=DEFAULT_RANGE, help=f"range file or shipped name (default {DEFAULT_RANGE})")
    p.add_argument("--team", default=DEFAULT_TEAM, help=f"team name (default {DEFAULT_TEAM})")
    p.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for health checks")
    p.add_argument("--staff", type=int, metavar="N",
                   help="simulate N staff PCs instead of the range's head count (0 for none)")
    p.set_defaults(func=cmd_up)

    p = sub.add_parser("logs", help="search a team's evidence (every log line of its range), in time order")
    p.add_argument("query", nargs="*", help="host:H source:S kind:K field=value and words of the line")
    p.add_argument("--team", default=DEFAULT_TEAM, help=f"team name (default {DEFAULT_TEAM})")
    p.add_argument("--since", help="only events from this long ago (e.g. 10m, 2h) or later")
    p.add_argument("--limit", type=int, help="at most this many events")
    p.add_argument("--follow", action="store_true", help="keep printing new matching events")
    p.add_argument("--json", action="store_true", help="one JSON object per event")
    p.add_argument("--store", help="evidence database (default $CYDER_DATA/cyder.sqlite)")
    p.set_defaults(func=cmd_logs)

    p = sub.add_parser("staff", help="show the simulated staff's activity; move, speed up or pause their day")
    p.add_argument("--team", default=DEFAULT_TEAM, help=f"team name (default {DEFAULT_TEAM})")
    p.add_argument("--clock", metavar="HH:MM", help="set the office time")
    p.add_argument("--speed", type=float, help="office clock speed (1 = real time)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--pause", action="store_true", help="stop the staff's activity")
    group.add_argument("--resume", action="store_true", help="carry on after --pause")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_staff)

    p = sub.add_parser("play", help="play an exercise in the trainee app: builds images, brings the range up, "
                                    "starts or resumes the team's exercise (the main command)")
    p.add_argument("scenario", nargs="?", help="scenario file or shipped name (default: the team's exercise if it "
                                               "has one, else targeted-email)")
    _run_options(p)
    p.add_argument("--lang", choices=["en", "ja"], help="language of the app (default: CYDER_LANG, else the locale)")
    p.add_argument("--results", default="results", help="folder for the debrief at the end (default ./results)")
    p.add_argument("--web", action="store_true", help="serve the app to a browser (textual-serve) instead")
    p.add_argument("--host", default="127.0.0.1", help="with --web: address to listen on (default 127.0.0.1, "
                                                       "loopback only)")
    p.add_argument("--port", type=int, default=8000, help="with --web: port (default 8000)")
    p.add_argument("--public-url", metavar="URL", help="with --web: the address browsers use, e.g. behind a "
                                                       "proxy (default: the address each browser used)")
    p.add_argument("--max-sessions", type=int, metavar="N", help="with --web: browser sessions at once "
                                                                 "(default 2: the team's and a spare)")
    p.set_defaults(func=cmd_play)

    p = sub.add_parser("run", help="run a whole exercise for a team without a user interface, then write the results")
    p.add_argument("scenario", nargs="?", help="scenario file or shipped name (not needed to resume)")
    _run_options(p)
    p.add_argument("--headless", action="store_true", help="no user interface (the only mode of `cyder run`)")
    p.add_argument("--results", default="results", help="folder for the ledger and the debrief (default ./results)")
    p.add_argument("--json", action="store_true", help="print each event as a JSON line")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("act", help="take a response action on a team's range (scored by the range's state)")
    p.add_argument("action", help="block-ip, block-domain-dns, block-domain-proxy, isolate, reconnect, kill-process, "
                                  "lock-account, reset-password, remove-persistence, quarantine-mail, delete-file")
    p.add_argument("params", nargs="*", metavar="KEY=VALUE", help="e.g. address=203.0.113.51 or host=pc01 pattern=x")
    _exercise_options(p)
    p.set_defaults(func=cmd_act)

    p = sub.add_parser("submit", help="submit an indicator, the incident, a report or take a hint for a team")
    what = p.add_subparsers(metavar="WHAT", dest="what")
    q = what.add_parser("indicator", help="an indicator: ip, domain, url, hash, account, host, file or mail")
    q.add_argument("kind")
    q.add_argument("value")
    q.add_argument("--note", default="")
    q = what.add_parser("incident", help="declare the incident with the affected hosts")
    q.add_argument("hosts", nargs="+")
    q = what.add_parser("report", help="file a report form: field=text ...")
    q.add_argument("report", help="report id, e.g. first-report")
    q.add_argument("fields", nargs="*", metavar="FIELD=TEXT")
    q = what.add_parser("hint", help="take the next hint for a step (it costs points)")
    q.add_argument("step")
    for q in what.choices.values():
        _exercise_options(q)
    p.set_defaults(func=cmd_submit)

    p = sub.add_parser("ledger", help="print a team's ledger: every point with its reason")
    _exercise_options(p)
    group = p.add_mutually_exclusive_group()
    group.add_argument("--json", action="store_true", help="as JSON with the totals")
    group.add_argument("--csv", action="store_true", help="as CSV")
    p.set_defaults(func=cmd_ledger)

    p = sub.add_parser("debrief", help="write a team's debrief in Markdown and HTML")
    _exercise_options(p)
    p.add_argument("--all", action="store_true", help="every team in the store")
    p.add_argument("--out", default="results", help="folder to write to (default ./results)")
    p.set_defaults(func=cmd_debrief)

    p = sub.add_parser("calibrate", help="play a scenario with no defender and with an ideal one for several seeds; "
                                         "fail when the passive team scores or a step does not play as written")
    p.add_argument("scenario", help="scenario file or shipped name")
    p.add_argument("--seeds", type=int, default=5, metavar="N", help="seeds 1..N, one pair of runs each (default 5)")
    p.add_argument("--speed", type=float, default=300.0, help="clock speed of every run (default 300)")
    p.add_argument("--staff", type=int, metavar="N", help="simulated staff PCs (default: the range's own)")
    p.add_argument("--share", type=float, default=0.85,
                   help="share of the maximum the ideal defender must reach (default 0.85: it contains only once "
                        "the chain has run, so it loses part of the speed bonus of the early steps)")
    p.add_argument("--team-prefix", default="cal", help="prefix of the calibration teams' names (default cal)")
    p.set_defaults(func=cmd_calibrate)

    p = sub.add_parser("pcap", help="export a team's packet captures (one pcap per segment)")
    p.add_argument("--team", default=DEFAULT_TEAM, help=f"team name (default {DEFAULT_TEAM})")
    p.add_argument("--out", default="pcap", help="folder to write them to (default ./pcap)")
    p.set_defaults(func=cmd_pcap)

    p = sub.add_parser("down", help="remove a team's range (or every range) without a trace")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--team", help=f"team name (default {DEFAULT_TEAM})")
    group.add_argument("--all", action="store_true", help="every team's range")
    p.set_defaults(func=cmd_down)

    p = sub.add_parser("status", help="show running ranges and the health of their services")
    p.add_argument("--team", help="only this team")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_status)

    images = sub.add_parser("images", help="build or list the range images").add_subparsers(metavar="ACTION")
    p = images.add_parser("build", help="build the images offline from Debian's packages (cached by content)")
    p.add_argument("--force", action="store_true", help="rebuild even when the images are up to date")
    p.add_argument("--base-from-dockerfile", action="store_true",
                   help="build the base from ranges/images/Dockerfile.base (needs a container registry)")
    p.set_defaults(func=cmd_images_build)
    p = images.add_parser("list", help="list cyder's images")
    p.set_defaults(func=cmd_images_list)
    return parser


def cmd_validate(args: argparse.Namespace) -> int:
    """Check each file as a range or a scenario (told apart by their fields): a line for each valid
    one, every problem of the others as file:line:col; exit 2 when any file has a problem."""
    from .model.files import check_file

    problems = []
    for file in args.files:
        kind, found = check_file(file)
        if found:
            problems += found
        else:
            print(f"{file}: ok, a valid {kind}", flush=True)
    if problems:
        # A scenario's range is checked with it: its problems are listed once even when the range
        # file is named on the command line too.
        raise InputError(list(dict.fromkeys(problems)))
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    """Print the JSON Schema of a file kind."""
    from .model.schema import SCHEMAS

    echo(json_text(SCHEMAS[args.kind](), indent=2))
    return 0


def _variant(args: argparse.Namespace, random_seed: bool = False):
    """The scenario, its range, the seed and the team's variant. The seed is --seed, else the one the
    team's exercise keeps in the store (readable only by whoever may read the store), else a new
    random one when `random_seed` (a rehearsal replay), else an error: ground truth is never
    derived from a team's name."""
    from pathlib import Path

    from .backend.base import check_team
    from .exercise.store import ExerciseStore
    from .model.scenario_load import load_scenario
    from .paths import resolve_scenario
    from .scenario.variant import make_variant, new_seed

    check_team(args.team)
    scenario, rng = load_scenario(resolve_scenario(args.scenario))
    seed = args.seed
    if seed is None:
        store = ExerciseStore(args.store)
        try:
            existing = store.load(args.team)
        finally:
            store.close()
        if existing is not None and Path(existing[0]["scenario"]).stem == scenario.name:
            seed = existing[0]["seed"]
        elif random_seed:
            seed = new_seed()
        else:
            raise CyderError(f"team {args.team} has no exercise of {scenario.name} in {store.path}: "
                             "give --seed N to see a rehearsal variant")
    return scenario, rng, seed, make_variant(scenario, rng, seed)


def cmd_plan(args: argparse.Namespace) -> int:
    """Print the timeline of a team's variant of a scenario."""
    from .model.scenario import format_offset

    scenario, rng, seed, variant = _variant(args)
    if args.json:
        echo(json_text({
            "scenario": scenario.name, "range": rng.name, "team": args.team, "seed": seed,
            "steps": [{"offset": p.offset, "step": p.step.id, "technique": p.step.technique,
                       "fallback_for": p.fallback_for, "hosts": p.hosts, "indicators": p.indicators}
                      for p in variant.steps],
            "indicators": variant.all_indicators()}, indent=2))
        return 0
    echo(f"{scenario.name} on {rng.name}, team {args.team}, seed {seed}")
    for planned in variant.steps:
        when = format_offset(planned.offset)
        note = f" (if {planned.fallback_for} is blocked)" if planned.fallback_for else ""
        echo(f"{when:>8}  {planned.step.id:<13} {planned.step.technique:<10} {', '.join(planned.hosts)}{note}")
        for category, items in planned.indicators.items():
            echo(f"{'':>10}{category}: {', '.join(items)}")
    return 0


def _backend():
    from .backend.docker import DockerBackend

    return DockerBackend()


class ProgressPrinter:
    """Renders backend progress as one line per step, with the time since the command started."""

    def __init__(self, stream=sys.stderr):
        self.stream, self.started = stream, time.monotonic()

    def __call__(self, event) -> None:
        count = f" [{event.done}/{event.total}]" if event.total else ""
        detail = f" {event.message}" if event.message else ""
        echo(f"{time.monotonic() - self.started:6.1f}s {event.stage:<8}{count} {event.subject}{detail}",
              file=self.stream, flush=True)


def cmd_attack(args: argparse.Namespace) -> int:
    """Replay a scenario against a team's range, printing each step's outcome as it happens."""
    import asyncio

    from .model.scenario import format_offset, parse_offset
    from .scenario.engine import OUTCOMES, AttackRun

    scenario, rng, seed, variant = _variant(args, random_seed=True)
    if args.speed <= 0:
        raise CyderError("--speed must be positive")
    try:
        until = parse_offset(args.until) if args.until else None
    except ValueError as exc:
        raise CyderError(f"--until: {exc}") from None
    backend = _backend()
    statuses = backend.status(args.team, health=False)
    if not statuses or statuses[0].range_name != rng.name:
        raise CyderError(f"team {args.team} has no {rng.name} range up: run `cyder up {rng.name} --team {args.team}`")
    echo(f"{scenario.name} against team {args.team} ({rng.name}), seed {seed}, speed {args.speed:g}",
          file=sys.stderr, flush=True)

    def show(event) -> None:
        if args.json:
            echo(json_text(event.to_json()), flush=True)
            return
        late = f"{event.lateness:+.0f}s" if event.outcome != "skipped" else ""
        reason = f": {one_line(event.reason)}" if event.reason else ""
        outcome = "RANGE FAULT" if event.outcome == "fault" else event.outcome.upper()
        echo(f"{format_offset(event.actual):>8} {late:>6}  {event.step:<13} {event.technique:<10} "
             f"{outcome}{reason}", flush=True)

    events = asyncio.run(AttackRun(backend, args.team, variant, speed=args.speed, on_event=show, until=until).run())
    counts = {outcome: sum(e.outcome == outcome for e in events) for outcome in OUTCOMES}
    echo(", ".join(f"{n} {outcome}" for outcome, n in counts.items()), file=sys.stderr)
    return 1 if counts["fault"] else 0


def cmd_up(args: argparse.Namespace) -> int:
    """Bring up a range for a team and print its status."""
    from .model import load_range

    from .model.population import with_staff

    rng = load_range(resolve_range(args.range))
    if args.staff is not None:
        if args.staff < 0:
            raise CyderError("--staff must be 0 or more")
        if rng.population is None and args.staff:
            raise CyderError(f"range {rng.name} has no population: section to take --staff from")
        rng = with_staff(rng, args.staff)
        _check_again(rng)
    status = _backend().up(rng, args.team, progress=ProgressPrinter(), timeout=args.timeout)
    print_status([status])
    return 0


def _exercise_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--team", default=DEFAULT_TEAM, help=f"team name (default {DEFAULT_TEAM})")
    p.add_argument("--store", help="exercise database (default $CYDER_DATA/exercises.sqlite)")


def _run_options(p: argparse.ArgumentParser) -> None:
    """The options of commands that run an exercise (`play`, `run`)."""
    _exercise_options(p)
    p.add_argument("--seed", type=int, help="variant seed (default: a new random one, kept in the store)")
    p.add_argument("--speed", type=float, help="clock speed: 60 runs an hour in a minute (default 1, or as it was)")
    p.add_argument("--course", choices=["A", "B-1", "B-2", "C"], help="course level (default: the scenario's)")
    p.add_argument("--staff", type=int, metavar="N", help="simulated staff PCs (default: the range's)")


def _exercise(args: argparse.Namespace, scenario: str | None = None, **options):
    """The team's exercise in the store (resumed), or a new one when a scenario is named."""
    from pathlib import Path

    from .backend.base import check_team
    from .exercise.engine import Exercise
    from .exercise.store import ExerciseStore
    from .paths import resolve_scenario

    store = ExerciseStore(args.store)
    if scenario is None and store.load(check_team(args.team)) is None:
        raise CyderError(f"team {args.team} has no exercise in {store.path}: start one with `cyder run SCENARIO`")
    existing = store.load(args.team)
    if scenario and existing and Path(existing[0]["scenario"]) != Path(resolve_scenario(scenario)).resolve():
        raise CyderError(f"team {args.team} already has an exercise of {existing[0]['scenario']} in {store.path}: "
                         "resume it without naming a scenario, or use another --team or --store")
    path = resolve_scenario(scenario) if scenario and existing is None else None
    return Exercise(_LazyBackend(), store, args.team, path, **options)


class _LazyBackend:
    """The Docker backend, connected on first use: submissions and the ledger need no engine."""

    def __init__(self):
        self._backend = None

    def __getattr__(self, name):
        if self._backend is None:
            self._backend = _backend()
        return getattr(self._backend, name)


def _pairs(words: list[str], what: str) -> dict[str, str]:
    pairs = {}
    for word in words:
        key, sep, value = word.partition("=")
        if not sep or not key:
            raise CyderError(f"{what} are KEY=VALUE; got {word!r}")
        pairs[key] = value
    return pairs


def _running_exercise(args: argparse.Namespace, scenario: str | None, on_event=None):
    """The team's exercise set up to run: evidence store beside the exercise store, speed as asked."""
    from pathlib import Path

    from .evidence.store import EvidenceStore

    if args.speed is not None and args.speed <= 0:
        raise CyderError("--speed must be positive")
    exercise = _exercise(args, scenario, seed=args.seed, speed=args.speed or 1.0, course=args.course,
                         staff=args.staff, on_event=on_event)
    exercise.evidence_store = EvidenceStore(Path(exercise.store.path).with_name("cyder.sqlite") if args.store else None)
    if args.speed is not None and exercise.clock["speed"] != args.speed:
        exercise.clock = {**exercise.clock, "speed": args.speed}
        exercise.store.save_clock(args.team, exercise.clock)
    return exercise


def cmd_play(args: argparse.Namespace) -> int:
    """The trainee app for a team's exercise, in this terminal or served to a browser."""
    from pathlib import Path

    from .backend.base import check_team
    from .exercise.store import ExerciseStore
    from .ui import play

    check_team(args.team)
    if args.web:
        return play.serve_web(play.web_argv(args), args.host, args.port, f"cyder: {args.team}",
                              public_url=args.public_url,
                              max_sessions=play.DEFAULT_WEB_SESSIONS if args.max_sessions is None else args.max_sessions)
    scenario = args.scenario
    if scenario is None and ExerciseStore(args.store).load(args.team) is None:
        scenario = play.DEFAULT_SCENARIO
    return play.run_app(_running_exercise(args, scenario), args.lang, Path(args.results))


def cmd_run(args: argparse.Namespace) -> int:
    """Run (or resume) a team's exercise to its end, then write the ledger and the debrief."""
    import asyncio
    from pathlib import Path

    from .exercise.debrief import write_debrief
    from .model.scenario import format_offset

    def show(event) -> None:
        if args.json:
            echo(json_text({"kind": event.kind, "time": event.time, **event.data}, default=str),
                  flush=True)
            return
        data = event.data
        if event.kind == "step" and data["outcome"] == "fault":
            return  # the fault event that follows says it
        text = {
            "step": lambda: f"step {data['step']} {data['outcome']}" + (f": {data['reason']}" if data.get("reason") else ""),
            "fault": lambda: f"RANGE FAULT (not scored): {data['what']}: {data['reason']}",
            "inject": lambda: f"inject {data['id']}: {data['subject']['en']}",
            "ledger": lambda: f"{data['points']:+g} {data['phase']:<10} {data['reason']}",
            "clock": lambda: f"clock speed {data['speed']:g}" + (" paused" if data["paused"] else ""),
            "range": lambda: f"range {data['range']} {data['state']}",
            "finish": lambda: "finished: " + ", ".join(f"{k} {v:g}" for k, v in data.items()),
        }.get(event.kind)
        if text:
            echo(f"{format_offset(event.time):>8}  {one_line(text())}", flush=True)

    exercise = _running_exercise(args, args.scenario, on_event=show)
    totals = asyncio.run(exercise.run())
    folder = Path(args.results) / args.team
    paths = write_debrief(exercise, folder)
    echo("totals: " + ", ".join(f"{k} {v:g}" for k, v in totals.items()))
    if exercise.faults:
        echo(f"{len(exercise.faults)} range fault(s), none of them scored: see the debrief", file=sys.stderr)
    for path in paths:
        echo(path)
    return 0


def cmd_act(args: argparse.Namespace) -> int:
    """Take a response action; through the team's exercise when it has one (so it is journaled)."""
    from .exercise.actions import take_action
    from .exercise.store import ExerciseStore
    from .model import load_range

    params = _pairs(args.params, "action parameters")
    store = ExerciseStore(args.store)
    if store.load(args.team) is not None:
        echo(_exercise(args).act(args.action, params))
        return 0
    backend = _backend()
    statuses = backend.status(args.team, health=False)
    if not statuses:
        raise CyderError(f"team {args.team} has no range up: `cyder status` lists them")
    rng = load_range(resolve_range(statuses[0].range_name))
    echo(take_action(backend, args.team, rng, args.action, params))
    return 0


def cmd_submit(args: argparse.Namespace) -> int:
    """Submit to the team's exercise and print the verdict."""
    from .exercise.protocol import TeamSession

    if not args.what:
        raise CyderError("submit what? indicator, incident, report or hint")
    exercise: TeamSession = _exercise(args)  # what a trainee may do, here or through a session server
    if args.what == "indicator":
        result = exercise.submit_indicator(args.kind, args.value, args.note)
    elif args.what == "incident":
        result = exercise.declare_incident(args.hosts)
    elif args.what == "report":
        result = exercise.submit_report(args.report, _pairs(args.fields, "report fields"))
    else:
        result = exercise.take_hint(args.step)
    echo(json_text(result, default=str))
    return 0


def cmd_ledger(args: argparse.Namespace) -> int:
    """Print the ledger and the totals derived from it."""
    from .exercise.store import ExerciseStore

    store = ExerciseStore(args.store)
    if store.load(args.team) is None:
        raise CyderError(f"team {args.team} has no exercise in {store.path}")
    if args.json:
        echo(store.export_json(args.team))
    elif args.csv:
        echo(store.export_csv(args.team), end="")
    else:
        from .model.scenario import format_offset

        for entry in store.ledger(args.team):
            echo(f"{format_offset(entry.time):>8} {entry.points:+7g} {entry.phase:<10} {one_line(entry.rule):<32} "
                 f"{one_line(entry.reason)}")
        echo("totals: " + ", ".join(f"{k} {v:g}" for k, v in store.totals(args.team).items()))
    return 0


def cmd_debrief(args: argparse.Namespace) -> int:
    """Write the team's debrief (Markdown and HTML)."""
    from pathlib import Path

    from .exercise.debrief import write_debrief

    from .exercise.store import ExerciseStore

    teams = ExerciseStore(args.store).teams() if args.all else [args.team]
    if not teams:
        raise CyderError("no exercise in the store")
    for team in teams:
        args.team = team
        for path in write_debrief(_exercise(args), Path(args.out) / team):
            echo(path)
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Calibrate a scenario over several seeds; exit 1 when any seed does not hold."""
    import asyncio

    from .exercise.calibrate import calibrate
    from .paths import resolve_scenario

    if args.seeds < 1:
        raise CyderError("--seeds must be 1 or more")
    if args.speed <= 0:
        raise CyderError("--speed must be positive")
    if not 0 < args.share <= 1:
        raise CyderError("--share must be above 0 and at most 1")
    report = asyncio.run(calibrate(_backend(), resolve_scenario(args.scenario), seeds=list(range(1, args.seeds + 1)),
                                   speed=args.speed, staff=args.staff, share=args.share, team_prefix=args.team_prefix,
                                   progress=lambda line: echo(line, file=sys.stderr, flush=True)))
    echo(report.summary())
    return 0 if report.ok else 1


def _check_again(rng) -> None:
    """Re-check a range changed on the command line (e.g. more staff than its address pool holds)."""
    from .model.load import check_range

    problems = check_range(rng)
    if problems:
        path, message = problems[0]
        raise CyderError(f"{'.'.join(map(str, path))}: {message}")


def cmd_staff(args: argparse.Namespace) -> int:
    """Print the simulated staff's activity, after changing their clock if asked."""
    from .staff.control import activity, format_time_of_day, parse_time_of_day, set_clock

    backend = _backend()
    if not backend.status(args.team, health=False):
        raise CyderError(f"team {args.team} has no range up: `cyder status` lists them")
    try:
        office = parse_time_of_day(args.clock) if args.clock else None
    except ValueError as exc:
        raise CyderError(f"--clock: {exc}") from None
    if args.speed is not None and args.speed <= 0:
        raise CyderError("--speed must be positive")
    if office is not None or args.speed is not None or args.pause or args.resume:
        changed = set_clock(backend, args.team, office, args.speed, True if args.pause else False if args.resume else None)
        if not changed:
            raise CyderError(f"team {args.team}'s range simulates no staff")
        time.sleep(2.5)  # the generators report every two seconds
    found = activity(backend, args.team)
    if args.json:
        echo(json_text(found.to_json()))
        return 0
    if not found.pcs:
        echo(f"team {args.team}: no simulated staff")
        return 0
    state = "paused" if found.paused else f"speed {found.speed:g}"
    echo(f"team {args.team}: {found.pcs} staff PCs, office time {format_time_of_day(found.office or 0)} ({state})")
    for kind in sorted(set(found.done) | set(found.failed)):
        echo(f"  {kind:<10} {found.done.get(kind, 0):>7} done {found.failed.get(kind, 0):>6} failed")
    if found.skipped or found.dropped:
        echo(f"  {found.skipped} skipped after clock jumps, {found.dropped} dropped (generator overloaded)")
    return 0


def cmd_logs(args: argparse.Namespace) -> int:
    """Bring the team's evidence up to date from its collector, then print what matches."""
    import asyncio
    import re

    from .evidence.collect import EvidenceFeed, sync
    from .evidence.store import EvidenceStore, Query

    since = None
    if args.since:
        match = re.fullmatch(r"(\d+)([smhd])", args.since)
        if not match:
            raise CyderError("--since takes a number and a unit: 30s, 10m, 2h, 1d")
        since = time.time() - int(match[1]) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[match[2]]
    backend = _backend()
    statuses = backend.status(args.team, health=False)
    if not statuses:
        raise CyderError(f"team {args.team} has no range up: `cyder status` lists them")
    collector = statuses[0].collector
    if collector is None:
        raise CyderError(f"range {statuses[0].range_name} has no log collector (logging: collector:)")
    store = EvidenceStore(args.store)
    sync(backend, store, args.team, collector)
    try:
        query = Query.parse(args.team, args.query, since=since, limit=args.limit)
    except ValueError as exc:
        raise CyderError(f"query: {exc}") from None

    def show(stored) -> None:
        e = stored.evidence
        if args.json:
            echo(json_text({"id": stored.id, "time": e.time, "host": e.host, "source": e.source, "kind": e.kind,
                              "fields": e.fields, "raw": e.raw}), flush=True)
        else:
            echo(one_line(e.raw), flush=True)

    for stored in store.search(query):
        show(stored)
    if args.follow:
        async def follow() -> None:
            feed = EvidenceFeed(backend, store, args.team, collector)
            ingest = asyncio.create_task(feed.run())
            try:
                async for stored in feed.stream(Query.parse(args.team, args.query)):
                    show(stored)
            finally:
                ingest.cancel()
                feed.close()

        asyncio.run(follow())
    return 0


def cmd_pcap(args: argparse.Namespace) -> int:
    """Export a team's captures; Wireshark and tshark open them."""
    for path in _backend().export_captures(args.team, args.out):
        echo(path)
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    """Remove one team's range or all of them."""
    team = None if args.all else (args.team or DEFAULT_TEAM)
    removed = _backend().down(team, progress=ProgressPrinter())
    echo(f"removed {removed} objects" + (f" of team {team}" if team else " of every team"))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """Print running ranges; exit 1 when a range is unhealthy."""
    statuses = _backend().status(args.team)
    if args.json:
        echo(json_text([s.to_json() for s in statuses], indent=2))
    elif not statuses:
        echo("no range is up" + (f" for team {args.team}" if args.team else ""))
    else:
        print_status(statuses)
    return 0 if all(s.healthy for s in statuses) else 1


def print_status(statuses) -> None:
    """A table per team: host, state, addresses, services."""
    for status in statuses:
        echo(f"team {status.team}: {status.range_name} ({'healthy' if status.healthy else 'NOT healthy'}), "
             f"segments: {', '.join(status.segments)}")
        for host in status.hosts:
            services = " ".join(f"{name}:{'ok' if ok else 'DOWN'}" for name, ok in host.services.items())
            addresses = " ".join(f"{seg}={addr}" for seg, addr in host.addresses.items())
            failed = f" failed: {one_line(', '.join(host.failed))}" if host.failed else ""
            echo(f"  {host.name:<14} {host.state:<9} {addresses:<40} {services}{failed}")


def cmd_images_build(args: argparse.Namespace) -> int:
    """Build the range images."""
    from .backend.docker import build_images, connect_docker

    images = build_images(connect_docker(), progress=ProgressPrinter(), force=args.force,
                          base_from_dockerfile=args.base_from_dockerfile)
    echo(f"images ready: {images.base} {images.node}")
    return 0


def cmd_images_list(args: argparse.Namespace) -> int:
    """List cyder's images."""
    from .backend.docker import connect_docker, list_images

    rows = list_images(connect_docker())
    if not rows:
        echo("no cyder images: run `cyder images build`")
    for row in rows:
        echo(f"{row['tag']:<28} {row['id']:<14} {row['size_mb']:>5} MB  {row['created']}"
              f"  {'current' if row['current'] else 'outdated'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
