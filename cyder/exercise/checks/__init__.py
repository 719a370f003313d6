"""Checks on the real state of a team's range, for scoring response, recovery and availability.

A check asks the range, not the team: a C2 blocked by a firewall rule typed by hand passes the
same as one blocked with `cyder act`. Each check sees one of three states: `bad` (what the attack
left is there: the C2 answers, the implant runs), `good` (it is gone, and for network checks a
change the team made explains why), or `unknown` (the host could not be asked, the mail is not
delivered yet, or the C2 is silent with nothing the team changed on its way: a range fault).
Baselines (file hashes, password hashes) are taken when the exercise starts, so "unchanged" and
"reset" compare with the range as it was.

One module per check kind (no_process.py, unreachable.py ...), each a class registered in CHECKS
(model.rubric); base.py holds the result, the base class and the dispatcher, availability.py the
business-service probes of the availability rounds.
"""

from __future__ import annotations

from ...model.rubric import CHECKS
from .availability import availability_route, probe_service
from .base import Check, CheckResult, State, as_check, baseline_keys, check_kinds, check_route, run_check, self_safe

__all__ = ["CHECKS", "Check", "CheckResult", "State", "as_check", "availability_route", "baseline_keys",
           "check_kinds", "check_route", "probe_service", "run_check", "self_safe"]
