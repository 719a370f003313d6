"""The command palette: every tab, action, shell, report, hint and key the app has, by name."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider



class CyderCommands(Provider):
    """Offers every command of the trainee app (the same ones the keys reach)."""

    def _commands(self) -> list[tuple[str, object, str]]:
        app = self.app
        tr, ex = app.tr, app.exercise
        commands: list[tuple[str, object, str]] = []
        for tab in app.TAB_IDS:
            commands.append((tr("cmd.goto", tab=tr("tab." + tab)), partial(app.action_show_tab, tab), f"tab.{tab}"))
        commands.append((tr("cmd.indicator"), partial(app.focus_widget, "indicators", "#ind-value"), "indicators"))
        commands.append((tr("cmd.incident"), partial(app.focus_widget, "indicators", "#incident-hosts"), "incident"))
        for spec in ex.action_specs():
            commands.append((tr("cmd.action", action=spec.name), partial(app.choose_action, spec.name), spec.help))
        for host in ex.running_range.hosts:
            commands.append((tr("cmd.shell", host=host.name), partial(app.run_worker, partial(app.open_shell, host.name)),
                             "docker exec"))
        for rule in ex.rubric.reports:
            commands.append((tr("cmd.report", report=tr.pick(rule.name)), partial(app.choose_report, rule.id), rule.id))
        for offer in ex.hint_offers():
            commands.append((tr("cmd.hint", step=offer["step"]), partial(app.choose_hint, offer["step"]), "hint"))
        commands.append((tr("cmd.help"), app.action_help, "?"))
        commands.append((tr("cmd.quit"), app.action_quit, "ctrl+q"))
        return commands

    async def discover(self) -> Hits:
        """Everything, before anything is typed."""
        for name, callback, help_text in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        """Commands whose name matches what was typed."""
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
