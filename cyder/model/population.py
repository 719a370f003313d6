"""The simulated staff of a range: who they are, which PC and address each has, which container runs it.

A range's `population:` section gives a head count, departments and an address pool; this module
turns it, deterministically for the population's seed, into named staff with their PCs, and into
the few "staff" hosts that each simulate many PCs (one address alias per PC). Plain data, no I/O.
"""

from __future__ import annotations

import ipaddress
import random
import re
from dataclasses import dataclass

from .range import Attachment, Department, Host, LocalText, Population, Range, Role

# Common Japanese family and given names, as (kanji, romaji): staff names look like a city hall's.
FAMILY_NAMES = [
    ("佐藤", "sato"), ("鈴木", "suzuki"), ("高橋", "takahashi"), ("田中", "tanaka"), ("伊藤", "ito"),
    ("渡辺", "watanabe"), ("山本", "yamamoto"), ("中村", "nakamura"), ("小林", "kobayashi"), ("加藤", "kato"),
    ("吉田", "yoshida"), ("山田", "yamada"), ("佐々木", "sasaki"), ("山口", "yamaguchi"), ("松本", "matsumoto"),
    ("井上", "inoue"), ("木村", "kimura"), ("林", "hayashi"), ("斎藤", "saito"), ("清水", "shimizu"),
    ("山崎", "yamazaki"), ("森", "mori"), ("池田", "ikeda"), ("橋本", "hashimoto"), ("阿部", "abe"),
    ("石川", "ishikawa"), ("山下", "yamashita"), ("中島", "nakajima"), ("石井", "ishii"), ("小川", "ogawa"),
    ("前田", "maeda"), ("岡田", "okada"), ("長谷川", "hasegawa"), ("藤田", "fujita"), ("後藤", "goto"),
    ("近藤", "kondo"), ("村上", "murakami"), ("遠藤", "endo"), ("青木", "aoki"), ("坂本", "sakamoto"),
]
GIVEN_NAMES = [
    ("翔", "sho"), ("大輔", "daisuke"), ("健太", "kenta"), ("拓也", "takuya"), ("直樹", "naoki"),
    ("誠", "makoto"), ("浩", "hiroshi"), ("隆", "takashi"), ("学", "manabu"), ("亮", "ryo"),
    ("陽子", "yoko"), ("恵", "megumi"), ("美穂", "miho"), ("由美", "yumi"), ("真由美", "mayumi"),
    ("愛", "ai"), ("彩", "aya"), ("智子", "tomoko"), ("裕子", "yuko"), ("久美子", "kumiko"),
    ("和也", "kazuya"), ("達也", "tatsuya"), ("悠", "yu"), ("蓮", "ren"), ("葵", "aoi"),
    ("結衣", "yui"), ("さくら", "sakura"), ("美咲", "misaki"), ("千尋", "chihiro"), ("奈々", "nana"),
]


@dataclass(frozen=True)
class StaffPc:
    """One simulated member of staff and their PC."""

    pc: str
    address: ipaddress.IPv4Address
    user: str
    password: str
    name: LocalText
    department: Department
    container: str


STAFF_HOST = re.compile(r"^staff-\d+$")


def container_name(index: int) -> str:
    """The name of the index-th (from 1) container that simulates staff PCs."""
    return f"staff-{index}"


def is_staff_host(name: str) -> bool:
    """Whether a host name is one of the staff PCs' containers (ranges may not use such names)."""
    return bool(STAFF_HOST.match(name))


def free_addresses(rng: Range, population: Population) -> list[ipaddress.IPv4Address]:
    """Pool addresses a PC may take: not a host's, not the segment's ends, not ending in .0 or .255."""
    segment = rng.segment(population.segment)
    taken = {a.address for h in rng.hosts if not is_staff_host(h.name) for a in h.attachments}
    ends = {segment.subnet.network_address, segment.subnet.broadcast_address} if segment else set()
    return [a for a in population.pool
            if a not in taken and a not in ends and a.packed[-1] not in (0, 255)]


def workforce(rng: Range) -> tuple[StaffPc, ...]:
    """Every simulated member of staff, deterministic for the population's seed."""
    population = rng.population
    if population is None or population.staff == 0:
        return ()
    chooser = random.Random(population.seed)
    addresses = free_addresses(rng, population)[:population.staff]
    departments = population.departments
    counts = _apportion(population.staff, [d.weight for d in departments])
    taken_users = {u.name for h in rng.hosts for u in h.users} | {s.user for s in rng.staff}
    people: list[StaffPc] = []
    slots = [(d, n) for d, count in zip(departments, counts) for n in range(1, count + 1)]
    for i, ((department, number), address) in enumerate(zip(slots, addresses)):
        family_ja, family = chooser.choice(FAMILY_NAMES)
        given_ja, given = chooser.choice(GIVEN_NAMES)
        user = f"{family}.{given}"
        suffix = 2
        while user in taken_users:
            user, suffix = f"{family}.{given}{suffix}", suffix + 1
        taken_users.add(user)
        password = f"{family.capitalize()}-{chooser.randrange(1000, 10000)}!"
        people.append(StaffPc(
            pc=f"{department.code}-{number:03d}", address=address, user=user, password=password,
            name=LocalText(ja=f"{family_ja} {given_ja}", en=f"{given.capitalize()} {family.capitalize()}"),
            department=department, container=container_name(i // population.pcs_per_host + 1)))
    return tuple(people)


def _apportion(total: int, weights: list[float]) -> list[int]:
    """Split a head count by weights into whole numbers that add up to the total."""
    shares = [total * w / sum(weights) for w in weights]
    counts = [int(s) for s in shares]
    by_remainder = sorted(range(len(weights)), key=lambda i: shares[i] - counts[i], reverse=True)
    for i in by_remainder[:total - sum(counts)]:
        counts[i] += 1
    return counts


def staff_containers(rng: Range, people: tuple[StaffPc, ...] | None = None) -> list[Host]:
    """The hosts that simulate the staff PCs; each is attached with its first PC's address."""
    people = workforce(rng) if people is None else people
    hosts = []
    for name in dict.fromkeys(p.container for p in people):
        first = next(p for p in people if p.container == name)
        hosts.append(Host(name=name, role=Role.client,
                          title=LocalText(ja="職員PC群 (模擬)", en="Simulated staff PCs"),
                          attachments=[Attachment(segment=rng.population.segment, address=first.address)]))
    return hosts


def staffed(rng: Range) -> Range:
    """The range with its staff containers among the hosts (unchanged when it has no population)."""
    extra = [h for h in staff_containers(rng) if rng.host(h.name) is None]
    # A range already staffed keeps its hosts: the containers are added once.
    return rng.model_copy(update={"hosts": [*rng.hosts, *extra]}) if extra else rng


def with_staff(rng: Range, staff: int) -> Range:
    """The range with a different head count (tests and small machines scale the staff down)."""
    if rng.population is None:
        return rng
    return rng.model_copy(update={"population": rng.population.model_copy(update={"staff": staff})})


def file_server(rng: Range) -> Host | None:
    """The host staff keep their files on."""
    population = rng.population
    if population and population.file_server:
        return rng.host(population.file_server)
    return next((h for h in rng.hosts if any(s.serves_files for s in h.services) and rng.is_organisation_host(h)),
                None)
