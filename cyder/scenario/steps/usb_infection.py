"""The `usb-infection` step: the implant runs from a supplier's USB stick, with no network delivery."""

from __future__ import annotations

from typing import ClassVar, Literal

from ...model.range import Range
from ...model.scenario import STEP_ACTIONS, Ref
from .base import Indicators, Outcome, StepContext, StepKind
from .user_execution import implant_indicators, staff_pc, start_implant


@STEP_ACTIONS.register
class UsbInfectionAction(StepKind):
    """The implant runs from a supplier's USB stick on a PC, with no network delivery."""

    kind: Literal["usb-infection"]
    user: Ref
    implant: str
    volume: str = "USB_DRIVE"
    persistence: Literal["cron", "autostart"] = "cron"

    order: ClassVar[int] = 40
    user_fields: ClassVar[tuple[str, ...]] = ("user",)

    def hosts(self, rng: Range) -> list[str]:
        """The staff member's PC."""
        return super().hosts(rng) + staff_pc(rng, self.user)

    def indicators(self, found: Indicators) -> None:
        """The file on the stick, then what the started implant leaves."""
        found.add("files", f"{self._folder()}/{self.implant}")
        implant_indicators(found, self.user, self.implant, self.persistence)

    async def run(self, ctx: StepContext) -> Outcome:
        """As user-execution, with the file run from /media/<user>/<volume>."""
        return await start_implant(ctx, self.user, self.implant, self.persistence, self._folder(), self.implant)

    def _folder(self) -> str:
        return f"/media/{self.user}/{self.volume}"
