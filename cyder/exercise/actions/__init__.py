"""Response actions a team can take through cyder (`cyder act`, the engine API, the UI).

Each action really changes the team's containers, as an administrator would by hand: firewall
rules, a DNS sinkhole, a proxy deny list, a cable pulled, a process killed, an account locked or
its password reset, persistence removed, a mail quarantined, a file deleted. Scoring never looks
at which actions were taken, only at the state of the range, so doing the same by hand counts.

One module per action (block_ip.py, isolate.py ...), each a class registered in ACTION_KINDS;
base.py holds the context, the base class, the parameters' checks and the dispatcher.
"""

from __future__ import annotations

from .base import ACTION_KINDS, Action, ActionContext, ActionError, ActionSpec, take_action

__all__ = ["ACTIONS", "ACTION_KINDS", "Action", "ActionContext", "ActionError", "ActionSpec", "take_action"]

ACTIONS: dict[str, ActionSpec] = {spec.name: spec for spec in (cls.spec() for cls in ACTION_KINDS.models())}
"""Every action by name, in the registry's order (`cyder act`'s help, the UI's list)."""
