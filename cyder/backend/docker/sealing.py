"""Host firewall rules that keep Docker range networks sealed yet usable.

Docker (20.10 with br_netfilter) drops bridged frames on an internal network whose destination is
outside the network's own subnet, which would also drop every packet a client sends through the
range firewall. Range networks therefore get one rule in DOCKER-USER that accepts frames staying
on the same bridge (never between bridges, so nothing is routed), and one INPUT rule that drops
anything from the bridge to the machine itself. Rules carry a comment naming the team, so
tear-down finds and removes them even after a crash.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess

from ..base import BackendError

COMMENT_PREFIX = "cyder team="


def _iptables(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    if shutil.which("iptables") is None:
        raise BackendError("iptables is not installed: run `apt-get install -y iptables` (or scripts/setup.sh)")
    proc = subprocess.run(["iptables", "-w", *args], capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise BackendError(f"iptables {' '.join(args)} failed: {proc.stderr.strip()} (cyder must run as root)")
    return proc


def seal_bridge(bridge: str, team: str) -> None:
    """Let frames stay on `bridge` and stop them reaching the machine itself."""
    comment = ["-m", "comment", "--comment", f"{COMMENT_PREFIX}{team}"]
    if _iptables("-C", "DOCKER-USER", "-i", bridge, "-o", bridge, *comment, "-j", "ACCEPT", check=False).returncode:
        _iptables("-I", "DOCKER-USER", "-i", bridge, "-o", bridge, *comment, "-j", "ACCEPT")
    if _iptables("-C", "INPUT", "-i", bridge, *comment, "-j", "DROP", check=False).returncode:
        _iptables("-I", "INPUT", "-i", bridge, *comment, "-j", "DROP")


def team_rules(team: str | None) -> list[tuple[str, str]]:
    """(chain, rule spec) of every sealing rule for a team, or for all teams."""
    rules = []
    for chain in ("DOCKER-USER", "INPUT"):
        proc = _iptables("-S", chain, check=False)
        # iptables quotes the comment because it contains a space.
        marker = f'--comment "{COMMENT_PREFIX}{team}"' if team else f'--comment "{COMMENT_PREFIX}'
        for line in proc.stdout.splitlines():
            if line.startswith(f"-A {chain} ") and marker in line:
                rules.append((chain, line[len(f"-A {chain} "):]))
    return rules


def unseal_team(team: str | None) -> int:
    """Remove a team's sealing rules (all teams' when None); return how many were removed."""
    removed = 0
    for chain, spec in team_rules(team):
        if _iptables("-D", chain, *shlex.split(spec), check=False).returncode == 0:
            removed += 1
    return removed


def flood_bridge(bridge: str) -> None:
    """Make a range bridge forward every frame to every port (as a hub), so the team's capture
    container records the whole segment, not just what is addressed to it."""
    proc = subprocess.run(["ip", "link", "set", "dev", bridge, "type", "bridge", "ageing_time", "0"],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise BackendError(f"cannot set {bridge} to flood for packet capture: {proc.stderr.strip()}")


def silence_ipv6(bridge: str) -> None:
    """Turn IPv6 off on a range bridge (no link-local address, so the machine neither sends nor
    answers anything over IPv6 on the segment); called before any container joins the bridge, and
    the containers themselves start with IPv6 disabled. A machine without IPv6 has nothing to do."""
    path = f"/proc/sys/net/ipv6/conf/{bridge}/disable_ipv6"
    try:
        with open(path, "w", encoding="ascii") as fh:
            fh.write("1\n")
    except FileNotFoundError:
        return  # no IPv6 on this machine
    except OSError as exc:
        raise BackendError(f"cannot turn IPv6 off on {bridge}: {exc.strerror}") from None
    with open(path, encoding="ascii") as fh:
        if fh.read().strip() != "1":
            raise BackendError(f"IPv6 is still on on {bridge}")
