"""The `unreachable` check: a URL (the C2, say) no longer answers from a host of the range."""

from __future__ import annotations

import shlex
from typing import ClassVar, Literal

from pydantic import Field

from ...model.rubric import CHECKS
from ...scenario.defence import RangeView, Route, explain
from ...services.proxy import ProxyService
from .base import Check, CheckResult


@CHECKS.register
class UnreachableCheck(Check):
    """A URL (the C2, say) no longer answers from a host of the range."""

    kind: Literal["unreachable"]
    url: str | None = Field(None, description="what must no longer answer from the host")

    order: ClassVar[int] = 10
    bad: ClassVar[str] = "`url` answers from `host` (HTTP 2xx/3xx, with the host's proxy settings)"
    good: ClassVar[str] = ("it does not, and a change the team made on its way explains why (a firewall rule "
                            "or route, the proxy's or DNS server's configuration, an isolated host); silence "
                            "with no such change is unknown")
    needs: ClassVar[tuple[str, ...]] = ("url",)

    def route(self, view: RangeView) -> Route | None:
        """The way from the host to the URL, through its proxy when it has one."""
        if self.url:
            return view.proxy_route(self.host, self.url)
        return None

    def run(self, view: RangeView, baselines: dict[str, str]) -> CheckResult:
        """Fetch the URL from the host with its proxy settings, and explain a silence."""
        host, url = self.host, self.given("url")
        command = (ProxyService.CLIENT_ENV
                   + f"curl -s -m 15 -o /dev/null -D - -w 'HTTP-CODE %{{http_code}}\\n' {shlex.quote(url)}")
        result = view.backend.exec(view.team, host, command, timeout=25)
        code = next((line.split()[1] for line in result.stdout.splitlines() if line.startswith("HTTP-CODE ")), "000")
        squid = next((line.split(":", 1)[1].strip() for line in result.stdout.splitlines()
                      if line.lower().startswith("x-squid-error:")), "")
        seen = f"HTTP {code}" + (f" {squid}" if squid else "") if code != "000" else "no answer"
        if code[:1] in "23" and not squid:
            return CheckResult("bad", f"{url} from {host}: {seen}")
        route = self.route(view)
        explanation = explain(view, route, f"{seen} {result.stderr}") if route else None
        if explanation and explanation.is_defence:
            return CheckResult("good", f"{url} from {host}: {seen}; {explanation.defence}",
                               {"explanation": explanation.to_json()})
        return CheckResult("unknown", f"{url} from {host}: {seen}, and nothing the team changed explains it",
                           {"explanation": explanation.to_json() if explanation else None})
