"""The overview: the organisation's network with each host's state, the clock, the phase and the
score with its four phase subtotals."""

from __future__ import annotations

from collections.abc import Mapping

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static

from ..exercise.protocol import HostState, TeamSession
from ..model.rubric import PHASES
from .text import literal, pad

STATE_MARKS = {"running": ("●", "green"), "degraded": ("◐", "yellow"), "isolated": ("⊘", "blue"),
               "down": ("✕", "red")}


def clock_text(seconds: float) -> str:
    """H:MM:SS for a number of seconds."""
    seconds = max(0, int(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def network_map(rng, states: Mapping[str, str], tr) -> Text:
    """Each segment with its subnet and title, then its hosts with a state mark each (the range as
    it runs: with its staff containers)."""
    text = Text()
    for segment in rng.segments:
        text.append(f"▌{segment.name} ", "bold")
        text.append(f"{segment.subnet} ", "dim")
        text.append(literal(tr.pick(segment.title)))
        text.append("\n  ")
        width = 2
        for host in rng.hosts_on(segment.name):
            mark, colour = STATE_MARKS.get(states.get(host.name, ""), ("·", "dim"))
            label = host.name
            if host.name.startswith("staff-") and rng.population:
                label += f" ({tr('overview.pcs', count=pcs_on(rng.population, host.name))})"
            if width + cell_len(label) + 3 > 56:
                text.append("\n  ")
                width = 2
            text.append(mark + " ", colour)
            text.append(label + "  ")
            width += cell_len(label) + 4
        text.append("\n")
    text.append(tr("overview.legend"), "dim")
    return text


def pcs_on(population, container: str) -> int:
    """How many staff PCs a staff container (staff-N) simulates."""
    index = int(container.rsplit("-", 1)[1]) - 1
    return max(0, min(population.pcs_per_host, population.staff - index * population.pcs_per_host))


def score_summary(totals: dict[str, float], maximums: dict[str, float], tr) -> Text:
    """The total and the four phase subtotals against their maximums."""
    text = Text()
    for phase in (*PHASES, "total"):
        got, top = totals.get(phase, 0.0), maximums.get(phase, 0.0)
        style = "bold" if phase == "total" else ""
        text.append(f"{pad(tr('phase.' + phase), 10)} {got:>5g} / {top:g}\n", style)
    return text


class OverviewPane(Horizontal):
    """The map on the left, clock, phase and score on the right."""

    def __init__(self, exercise: TeamSession, tr, **kwargs):
        super().__init__(**kwargs)
        self.exercise, self.tr = exercise, tr
        self.states: dict[str, HostState] = {}

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="map-box"):
            yield Static(id="map")
        yield Static(id="summary")

    def on_mount(self) -> None:
        self.refresh_data()

    def show_states(self, states: dict[str, HostState]) -> None:
        """Redraw the map with new host states."""
        self.states = states
        self.query_one("#map", Static).update(network_map(self.exercise.running_range, states, self.tr))

    def refresh_data(self) -> None:
        """Redraw the map, clock, phase and score."""
        self.show_states(self.states)
        self.refresh_summary()

    def refresh_summary(self) -> None:
        """Redraw clock, phase and score."""
        ex, tr = self.exercise, self.tr
        text = Text()
        text.append(tr("overview.clock") + "\n", "dim")
        text.append(f"{clock_text(ex.now())} / {clock_text(ex.duration)}\n", "bold")
        office = office_time(ex)
        if office:
            text.append(tr("overview.office") + "\n", "dim")
            text.append(office + "\n", "bold")
        text.append(tr("overview.phase") + "\n", "dim")
        text.append(tr("phase." + ex.phase()) + "\n\n", "bold")
        text.append(tr("overview.score") + "\n", "dim")
        text.append(score_summary(ex.totals(), ex.maximums(), tr))
        self.query_one("#summary", Static).update(text)


def office_time(exercise: TeamSession) -> str:
    """The organisation's wall clock (its office day starts at the range's population clock)."""
    population = exercise.range.population
    if population is None:
        return ""
    hours, minutes = population.clock.split(":")
    seconds = int(hours) * 3600 + int(minutes) * 60 + int(exercise.now())
    return f"{seconds // 3600 % 24:02d}:{seconds % 3600 // 60:02d}"
