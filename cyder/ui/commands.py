"""The command palette: every tab, action, shell, report, hint and key the app has, by name.

A hit posts a message (`ShowTab`, `ChooseAction`, `OpenShell` ...) that the app handles. The
provider reads what it offers from the `PaletteSource` the app gives it as `palette_source`,
never from the app's engine or widgets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.message import Message

from .i18n import Translator
from .messages import AskHint, ChooseAction, ChooseReport, FocusField, OpenShell, Quit, ShowHelp, ShowTab


@dataclass(frozen=True)
class PaletteSource:
    """What the palette offers: the app's texts and tabs, and what the exercise offers now."""

    tr: Translator
    tabs: tuple[str, ...]
    actions: Callable[[], list[tuple[str, str]]]  # (name, help) of each response action
    hosts: Callable[[], list[str]]  # hosts a shell can open in
    reports: Callable[[], list[tuple[str, str]]]  # (id, name in the app's language) of each report
    hints: Callable[[], list[str]]  # steps with hints


class CyderCommands(Provider):
    """Offers every command of the trainee app (the same ones the keys reach)."""

    def _commands(self) -> list[tuple[str, Message, str]]:
        source = getattr(self.app, "palette_source", None)
        if not isinstance(source, PaletteSource):
            return []
        tr = source.tr
        commands: list[tuple[str, Message, str]] = []
        for tab in source.tabs:
            commands.append((tr("cmd.goto", tab=tr("tab." + tab)), ShowTab(tab), f"tab.{tab}"))
        commands.append((tr("cmd.indicator"), FocusField("indicators", "#ind-value"), "indicators"))
        commands.append((tr("cmd.incident"), FocusField("indicators", "#incident-hosts"), "incident"))
        for name, help_text in source.actions():
            commands.append((tr("cmd.action", action=name), ChooseAction(name), help_text))
        for host in source.hosts():
            commands.append((tr("cmd.shell", host=host), OpenShell(host), "docker exec"))
        for report, name in source.reports():
            commands.append((tr("cmd.report", report=name), ChooseReport(report), report))
        for step in source.hints():
            commands.append((tr("cmd.hint", step=step), AskHint(step), "hint"))
        commands.append((tr("cmd.help"), ShowHelp(), "?"))
        commands.append((tr("cmd.quit"), Quit(), "ctrl+q"))
        return commands

    async def discover(self) -> Hits:
        """Everything, before anything is typed."""
        for name, message, help_text in self._commands():
            yield DiscoveryHit(name, partial(self.app.post_message, message), help=help_text)

    async def search(self, query: str) -> Hits:
        """Commands whose name matches what was typed."""
        matcher = self.matcher(query)
        for name, message, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), partial(self.app.post_message, message), help=help_text)
