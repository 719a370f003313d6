"""The `user-execution` step: the staff member opens the attachment and the implant starts on their PC.

It also holds what usb_infection.py shares with it: starting the implant with its persistence,
and the indicators that leaves.
"""

from __future__ import annotations

import shlex
from typing import ClassVar, Literal

from pydantic import Field

from ...model.range import Range
from ...model.scenario import STEP_ACTIONS, Ref
from ..implant import PERSISTENCE, implant_bytes, implant_path, resident_command, resident_pattern
from .base import Indicators, Outcome, StepContext, StepKind, failed_unless
from .phishing import PhishingAction


@STEP_ACTIONS.register
class UserExecutionAction(StepKind):
    """The staff member opens the attachment: the implant starts on their PC with persistence."""

    kind: Literal["user-execution"]
    user: Ref
    implant: str = Field(description="file name the implant is dropped as")
    persistence: Literal["cron", "autostart"] = "cron"

    order: ClassVar[int] = 30
    user_fields: ClassVar[tuple[str, ...]] = ("user",)

    def hosts(self, rng: Range) -> list[str]:
        """The staff member's PC."""
        return super().hosts(rng) + staff_pc(rng, self.user)

    def indicators(self, found: Indicators) -> None:
        """The implant file, its hash, the account and the persistence."""
        implant_indicators(found, self.user, self.implant, self.persistence)

    async def run(self, ctx: StepContext) -> Outcome:
        """The attachment is saved to Downloads, copies itself to a hidden folder, adds persistence
        (cron or an autostart entry) and starts its resident process."""
        return await start_implant(ctx, self.user, self.implant, self.persistence,
                                   f"/home/{self.user}/Downloads", self._origin_name(ctx))

    def _origin_name(self, ctx: StepContext) -> str:
        """The name of the file the user opens: the phishing mail's attachment when there is one."""
        phishing = next((p.step.action for p in ctx.variant.steps if isinstance(p.step.action, PhishingAction)),
                        None)
        return phishing.attachment if phishing else self.implant


def staff_pc(rng: Range, user: str) -> list[str]:
    """The PC of a staff member (none when the user is no staff member)."""
    member = next((s for s in rng.staff if s.user == user), None)
    return [member.pc] if member else []


def implant_indicators(found: Indicators, user: str, implant: str, persistence: str) -> None:
    """What the started implant leaves: its file and hash, the account it runs as, its persistence."""
    found.add("files", implant_path(user, implant))
    found.add("hashes", found.variant.implant_sha256)
    found.add("accounts", user)
    found.add("files", PERSISTENCE[persistence].indicator(user))


async def start_implant(ctx: StepContext, user: str, implant: str, persistence: str, folder: str,
                        origin_name: str) -> Outcome:
    """Drop the implant as `folder/origin_name` on the user's PC, copy it to its hidden path, add its
    persistence and start its resident process as the user; executed when the process runs."""
    member = next(s for s in ctx.variant.range.staff if s.user == user)
    pc = member.pc
    origin = f"{folder}/{origin_name}"
    path = implant_path(user, implant)
    data = implant_bytes(ctx.variant.seed)
    await ctx.write(pc, origin, data, 0o755)
    await ctx.write(pc, path, data, 0o755)
    command = resident_command(path)
    persist = PERSISTENCE[persistence].install(command)
    setup = (f"chown -R {user}: /home/{user}/.cache {shlex.quote(folder)} && "
             f"su -s /bin/sh {user} -c {shlex.quote(persist)} && "
             f"su -s /bin/sh {user} -c {shlex.quote(f'cd ~ && setsid nohup {command} >/dev/null 2>&1 < /dev/null &')}")
    result = await ctx.run(pc, setup)
    if not result.ok:
        return failed_unless(result, "implant did not start")
    check = await ctx.run(pc, ["pgrep", "-u", user, "-f", resident_pattern(path)])
    if not check.ok:
        return Outcome(False, "implant process is not running")
    ctx.facts.setdefault("implants", {})[pc] = (user, path)
    return Outcome(True, details={"host": pc, "implant": path, "origin": origin, "pid": check.stdout.split()[0]})
