"""The programs cyder places in the containers and the host side agree on paths and marks.

agent.py and staff.py run alone inside the containers, so they keep their own copies of the
strings in cyder/agent/contract.py; a change on one side only would break boot watching, the staff
clock or the plan's delivery without any other test noticing before a range is up.
"""

from __future__ import annotations

from importlib import resources

from cyder.agent import agent, contract, staff
from cyder.backend.docker import boot, files
from cyder.scenario import implant
from cyder.staff import control


def test_agent_prints_the_marks_the_backend_waits_for() -> None:
    assert (agent.READY_MARK, agent.FAILED_MARK) == (contract.READY_MARK, contract.FAILED_MARK)
    assert (boot.READY_MARK, boot.FAILED_MARK) == (contract.READY_MARK, contract.FAILED_MARK)


def test_agent_reads_the_plan_where_the_backend_puts_it() -> None:
    assert agent.PLAN_PATH == contract.PLAN_PATH


def test_backend_runs_the_agent_the_image_holds() -> None:
    assert files.AGENT == ["python3", contract.AGENT_PATH]
    assert contract.agent_command("procmon") == "python3 /opt/cyder/agent.py procmon"


def test_staff_program_and_engine_share_the_clock_and_stats_files() -> None:
    assert (staff.CLOCK_PATH, staff.STATS_PATH) == (contract.STAFF_CLOCK_PATH, contract.STAFF_STATS_PATH)
    assert (control.CLOCK_PATH, control.STATS_PATH) == (contract.STAFF_CLOCK_PATH, contract.STAFF_STATS_PATH)


def test_implant_answers_the_verb_the_steps_start_it_with() -> None:
    source = resources.files("cyder.agent").joinpath("implant.py").read_text(encoding="utf-8")
    assert f'command == "{implant.RESIDENT}"' in source
