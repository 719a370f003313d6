"""Simulated staff: who they are and where their PCs sit, what their day looks like, how they are provisioned."""

import ipaddress
import json
from collections import Counter
from pathlib import Path

import pytest

from cyder.agent import workday
from cyder.evidence.parse import parse_line
from cyder.model import load_range
from cyder.model.load import check_range
from cyder.model.population import staffed, with_staff, workforce
from cyder.provision import build_plans

ROOT = Path(__file__).resolve().parents[1]
SAIDA = load_range(ROOT / "ranges" / "saida-city.yaml")
PROFILE = SAIDA.population.profile.model_dump(mode="json")


def test_saida_city_has_a_thousand_staff_with_distinct_pcs_addresses_and_accounts():
    people = workforce(SAIDA)
    assert len(people) == 1000
    assert len({p.address for p in people}) == len({p.pc for p in people}) == len({p.user for p in people}) == 1000
    pool = ipaddress.ip_network("10.20.12.0/22")
    assert all(p.address in pool and p.address.packed[-1] not in (0, 255) for p in people)
    servers = {a.address for h in SAIDA.hosts for a in h.attachments}
    assert not servers & {p.address for p in people}
    named = {s.user for s in SAIDA.staff} | {u.name for h in SAIDA.hosts for u in h.users}
    assert not named & {p.user for p in people}
    departments = Counter(p.department.code for p in people)
    assert departments["shimin"] > departments["zaisei"] > departments["joho"] > 0


def test_the_workforce_follows_the_seed():
    again = load_range(ROOT / "ranges" / "saida-city.yaml")
    assert workforce(again) == workforce(SAIDA)
    other = SAIDA.model_copy(update={"population": SAIDA.population.model_copy(update={"seed": 2})})
    assert [p.user for p in workforce(other)] != [p.user for p in workforce(SAIDA)]


def test_staff_containers_each_run_a_share_of_the_pcs():
    staffed_range = staffed(SAIDA)
    containers = [h for h in staffed_range.hosts if h.name.startswith("staff-")]
    assert [h.name for h in containers] == ["staff-1", "staff-2"]  # 500 PCs each
    assert staffed(staffed_range) == staffed_range  # adding them twice changes nothing
    assert workforce(staffed_range) == workforce(SAIDA)  # their own addresses are not "taken"
    small = with_staff(SAIDA, 30)
    assert len(workforce(small)) == 30 and [h.name for h in staffed(small).hosts if h.name.startswith("staff-")] == ["staff-1"]
    assert staffed(with_staff(SAIDA, 0)) == with_staff(SAIDA, 0)


def test_more_staff_than_the_pool_holds_is_refused():
    problems = check_range(with_staff(SAIDA, 1100))
    assert any("1100 staff PCs need 1100 addresses" in message for _, message in problems)


def test_a_range_may_not_name_a_host_like_the_staff_containers():
    first = SAIDA.hosts[0].model_copy(update={"name": "staff-1"})
    broken = SAIDA.model_copy(update={"hosts": [first, *SAIDA.hosts[1:]]})
    assert any("staff-N" in message for _, message in check_range(broken))


def test_a_day_plan_is_the_same_for_a_seed_and_differs_with_another():
    first = workday.day_plan(1, "soumu-001", PROFILE)
    assert first == workday.day_plan(1, "soumu-001", PROFILE)
    assert first != workday.day_plan(2, "soumu-001", PROFILE)
    assert first != workday.day_plan(1, "soumu-002", PROFILE)
    assert first == sorted(first)


def test_the_office_day_has_working_hours_a_lunch_dip_and_a_few_night_owls():
    plans = {f"pc-{n:03d}": workday.day_plan(7, f"pc-{n:03d}", PROFILE, admin=n % 10 == 0) for n in range(300)}
    moments = [t for plan in plans.values() for t, _ in plan]
    hour = lambda h: sum(h * 3600 <= t < (h + 1) * 3600 for t in moments)  # noqa: E731
    assert hour(3) == 0 and hour(6) == 0                      # nobody at night
    assert hour(7) < hour(9) / 20                              # a few early birds before eight
    assert hour(10) > 3 * hour(12)                            # lunch is quiet
    assert hour(14) > 5 * hour(19) and hour(19) > 0           # the evening belongs to a few night owls
    late = [pc for pc, plan in plans.items() if plan and plan[-1][0] > 20 * 3600]
    assert 0 < len(late) < 30
    kinds = Counter(kind for plan in plans.values() for _, kind in plan)
    assert kinds["browse"] > kinds["file"] > kinds["mail_send"] > 0
    assert {pc for pc, plan in plans.items() if any(k == "login" for _, k in plan)} <= {f"pc-{n:03d}" for n in range(0, 300, 10)}
    assert kinds["mail_read"] > 0


def test_an_hour_of_activity_is_what_the_profile_says():
    plans = [workday.day_plan(3, f"pc-{n:03d}", PROFILE) for n in range(400)]
    browse = sum(1 for plan in plans for t, kind in plan if kind == "browse" and 10 * 3600 <= t < 11 * 3600)
    per_person = browse / 400
    assert 0.6 * PROFILE["rates"]["browse"] < per_person < 1.6 * PROFILE["rates"]["browse"]


def test_staff_containers_are_planned_with_aliases_and_the_generator():
    plans = build_plans(with_staff(SAIDA, 700))
    staff = plans["staff-1"]
    assert len(staff.aliases) == 499 and staff.aliases[0].endswith("/21")
    assert [s.name for s in staff.services] == ["staff"]
    config = json.loads(next(f["content"] for f in staff.files if f["path"] == "/etc/cyder/staff.json"))
    assert len(config["pcs"]) == 500 and len(config["colleagues"]) == 700
    assert config["proxy"] == ["10.20.1.8", 8080] and config["dns"] == "10.20.1.53"
    assert config["file_server"]["address"] == "10.20.10.30" and config["mail"] == "10.20.10.25"
    assert {s["domain"]: s["internal"] for s in config["sites"]}["www.city.saida.lg.jp"] is True
    assert {"/opt/cyder/staff.py", "/opt/cyder/workday.py"} <= {f["path"] for f in staff.files}
    assert len(plans["staff-2"].aliases) == 199


def test_mail_file_and_name_servers_know_the_staff():
    plans = build_plans(with_staff(SAIDA, 40))
    people = workforce(with_staff(SAIDA, 40))
    zone = next(f["content"] for f in plans["dns"].files if f["path"].endswith("db.city.saida.lg.jp"))
    assert f"{people[5].pc} IN A {people[5].address}" in zone
    reverse = next(f["content"] for f in plans["dns"].files if f["path"].endswith("db.12.20.10.in-addr.arpa"))
    assert f"{str(people[5].address).rsplit('.', 1)[1]} IN PTR {people[5].pc}.city.saida.lg.jp." in reverse
    assert not any("113.0.203.in-addr.arpa" in f["path"] for f in plans["dns"].files)  # not the internet's
    assert len(plans["groupware"].bulk_users) == 40
    passwd = next(f["content"] for f in plans["groupware"].files if f["path"] == "/etc/dovecot/staff.passwd")
    assert f"{people[0].user}:{{PLAIN}}{people[0].password}::::::" in passwd
    smb = next(s for s in plans["fileserver"].services if s.name == "smb")
    assert any("smb-import" in step for step in smb.start)
    assert smb.start.index(next(s for s in smb.start if "smb-import" in s)) < smb.start.index("smbd -D")
    assert "procmon" in [s.name for s in plans["pc01"].services]
    assert "procmon" not in [s.name for s in plans["www"].services]


def test_a_range_without_population_plans_no_staff():
    plans = build_plans(with_staff(SAIDA, 0))
    assert not any(name.startswith("staff-") for name in plans)
    assert not plans["groupware"].bulk_users


def test_process_starts_are_evidence():
    event = parse_line("2026-11-23T05:01:02.123456+00:00 pc01 procmon: exec pid=812 ppid=1 user=sato "
                       "cmd=python3 /home/sato/.cache/update.py")
    assert event.kind == "process" and event.host == "pc01"
    assert event.fields == {"pid": 812, "ppid": 1, "user": "sato", "command": "python3 /home/sato/.cache/update.py"}


@pytest.mark.parametrize("text,seconds", [("10:00", 36000), ("08:30:15", 30615)])
def test_office_times_parse(text, seconds):
    from cyder.staff.control import format_time_of_day, parse_time_of_day

    assert parse_time_of_day(text) == seconds
    assert parse_time_of_day(format_time_of_day(seconds)) == seconds
    with pytest.raises(ValueError):
        parse_time_of_day("25:99")
