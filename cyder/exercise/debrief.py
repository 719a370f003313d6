"""A team's debrief after the exercise, in Markdown and HTML, from the journal and the ledger.

The attack timeline beside the team's detections, actions and reports; time to detect, respond,
report and recover for each step; the ledger with its reasons; the model answer; what was missed.
Both files come from the same blocks; every text from the range or the team is escaped.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from ..model.rubric import PHASES
from ..model.scenario import format_offset
from ..output import markdown_text, visible
from ..scenario.variant import substitute_data

Block = tuple  # ("h1"|"h2"|"p", text) | ("ul", [items]) | ("table", [headers], [[cells]])


def _since(later: float | None, earlier: float | None) -> str:
    if later is None or earlier is None:
        return "-"
    return format_offset(max(0.0, later - earlier))


def debrief_blocks(exercise) -> list[Block]:
    """The debrief's content as blocks (headings, paragraphs, lists, tables)."""
    exercise.reload()  # submissions may have come from other processes
    store, team = exercise.store, exercise.team
    ledger = store.ledger(team)
    journal = store.journal(team)
    totals = store.totals(team)
    steps = exercise.steps
    blocks: list[Block] = [
        ("h1", f"Debrief: team {team}, {exercise.scenario.name}"),
        ("p", f"Scenario {exercise.scenario.title.en if not isinstance(exercise.scenario.title, str) else exercise.scenario.title}; "
              f"range {exercise.range.name}; seed {exercise.settings['seed']}; course {exercise.settings['course']}; "
              f"exercise time {format_offset(exercise.now())}."),
        ("table", ["phase", "points"], [[p, f"{totals[p]:g}"] for p in (*PHASES, "total")]),
    ]
    found_at: dict[str, float] = {}
    for entry in ledger:
        if entry.rule.startswith("indicator:") and entry.points > 0:
            found_at.setdefault(entry.evidence["step"], entry.time)
    response_at: dict[str, float] = {}
    recovery_at: dict[str, float] = {}
    rules = {r.id: r for r in [*exercise.rubric.responses, *exercise.rubric.recovery]}
    for entry in ledger:
        rule = rules.get(entry.rule)
        if rule and rule.step and entry.points > 0:
            target = response_at if rule in exercise.rubric.responses else recovery_at
            target.setdefault(rule.step, entry.time)
    first_report = next((e.time for e in journal if e.kind == "report"), None)
    rows = []
    for planned in exercise.variant.steps:
        event = steps.get(planned.step.id)
        happened = event["actual"] if event and event["outcome"] == "executed" else None
        outcome = event["outcome"] + (f": {event['reason']}" if event.get("reason") else "") if event else "not reached"
        rows.append([planned.step.id, planned.step.technique, format_offset(planned.offset),
                     format_offset(event["actual"]) if event else "-", outcome,
                     _since(found_at.get(planned.step.id), happened), _since(response_at.get(planned.step.id), happened),
                     _since(first_report, happened) if happened is not None else "-",
                     _since(recovery_at.get(planned.step.id), happened)])
    blocks += [("h2", "Attack timeline and the team's times"),
               ("table", ["step", "technique", "planned", "happened", "outcome", "to detect", "to respond",
                          "to report", "to recover"], rows)]
    faults = exercise.faults
    blocks += [("h2", "Range faults (not scored)"),
               ("p", "Failures of the range itself, not of the team's defence: a faulted step stops its branch "
                     "of the chain, and no rule tied to it pays."),
               ("ul", [f"{format_offset(f['time'])} {f['what']}: {f['reason']}" for f in faults] or ["none"])]
    team_rows = []
    for entry in journal:
        if entry.kind == "indicator":
            team_rows.append([format_offset(entry.time), "indicator", f"{entry.data['kind']} {entry.data['value']}",
                              entry.data["verdict"]])
        elif entry.kind == "incident":
            team_rows.append([format_offset(entry.time), "incident", ", ".join(entry.data["hosts"]), entry.data["verdict"]])
        elif entry.kind == "action":
            team_rows.append([format_offset(entry.time), "action",
                              f"{entry.data['action']} " + " ".join(f"{k}={v}" for k, v in entry.data["params"].items()),
                              entry.data["outcome"]])
        elif entry.kind == "report":
            team_rows.append([format_offset(entry.time), "report", entry.data["report"],
                              f"{entry.data['points']:g} points" + (" (late)" if entry.data["late"] else "")])
        elif entry.kind == "inject":
            team_rows.append([format_offset(entry.time), "inject", entry.data["subject"]["en"], entry.data["recipient"]])
        elif entry.kind == "hint":
            team_rows.append([format_offset(entry.time), "hint", entry.data["step"], f"tier {entry.data['tier']}"])
    blocks += [("h2", "What the team did"), ("table", ["time", "what", "detail", "result"], team_rows)]
    blocks += [("h2", "Ledger"),
               ("table", ["time", "points", "phase", "rule", "reason"],
                [[format_offset(e.time), f"{e.points:+g}", e.phase, e.rule, e.reason] for e in ledger])]
    credited = exercise.credited_indicators
    missed = [f"{t.kind} {t.shown} (step {t.step})" for t in exercise.truth if (t.kind, t.value) not in credited]
    missed += [f"check {r.id}: {r.name.en if not isinstance(r.name, str) else r.name}"
               for r in [*exercise.rubric.responses, *exercise.rubric.recovery] if r.id not in exercise.credited_rules]
    missed += [f"report {r.id}" for r in exercise.rubric.reports if r.id not in exercise.reports]
    blocks += [("h2", "What was missed"), ("ul", missed or ["nothing"])]
    answer = substitute_data(exercise.rubric.model_answer.model_dump(), exercise.variant.values)
    blocks += [("h2", "Model answer"),
               ("p", "Indicators (the team's ground truth):"),
               ("ul", [f"{t.kind} {t.shown} (step {t.step})" for t in exercise.truth]),
               ("p", "Response actions:"),
               ("ul", [" ".join(f"{k}={v}" for k, v in action.items()) for action in answer["actions"]] or ["-"]),
               ("p", "Reports:"),
               ("ul", [f"{rid}: {json.dumps(fields, ensure_ascii=False)}" for rid, fields in answer["reports"].items()] or ["-"])]
    return blocks


def to_markdown(blocks: list[Block]) -> str:
    """Render blocks as Markdown; every text is shown as written (no raw HTML, no Markdown syntax,
    no control characters pass through)."""
    cell = markdown_text
    out = []
    for block in blocks:
        if block[0] == "h1":
            out.append(f"# {cell(block[1])}\n")
        elif block[0] == "h2":
            out.append(f"## {cell(block[1])}\n")
        elif block[0] == "p":
            out.append(f"{cell(block[1])}\n")
        elif block[0] == "ul":
            out.append("".join(f"- {cell(item)}\n" for item in block[1]))
        elif block[0] == "table":
            headers, rows = block[1], block[2]
            out.append("| " + " | ".join(cell(h) for h in headers) + " |\n|" + "---|" * len(headers) + "\n"
                       + "".join("| " + " | ".join(cell(c) for c in row) + " |\n" for row in rows))
    return "\n".join(out)


def to_html(blocks: list[Block], title: str) -> str:
    """Render blocks as a self-contained HTML page (every text escaped, control characters visible)."""
    def esc(text: Any) -> str:
        return html.escape(visible(text))

    body = []
    for block in blocks:
        if block[0] in ("h1", "h2", "p"):
            body.append(f"<{block[0]}>{esc(block[1])}</{block[0]}>")
        elif block[0] == "ul":
            body.append("<ul>" + "".join(f"<li>{esc(i)}</li>" for i in block[1]) + "</ul>")
        elif block[0] == "table":
            head = "".join(f"<th>{esc(h)}</th>" for h in block[1])
            rows = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in block[2])
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
    style = ("body{font-family:sans-serif;max-width:72em;margin:2em auto}table{border-collapse:collapse;margin:1em 0}"
             "td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}th{background:#eee}")
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>'
            f"<style>{style}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")


def write_debrief(exercise, folder: Path) -> list[Path]:
    """Write debrief.md, debrief.html, ledger.json and ledger.csv for the team; return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    blocks = debrief_blocks(exercise)
    paths = {"debrief.md": to_markdown(blocks), "debrief.html": to_html(blocks, f"cyder debrief: {exercise.team}"),
             "ledger.json": exercise.store.export_json(exercise.team), "ledger.csv": exercise.store.export_csv(exercise.team)}
    for name, content in paths.items():
        (folder / name).write_text(content, encoding="utf-8")
    return [folder / name for name in paths]
