"""Response actions a team can take through cyder (`cyder act`, the engine API, the UI).

Each action really changes the team's containers, as an administrator would by hand: firewall
rules, a DNS sinkhole, a proxy deny list, a cable pulled, a process killed, an account locked or
its password reset, persistence removed, a mail quarantined, a file deleted. Scoring never looks
at which actions were taken, only at the state of the range, so doing the same by hand counts.
"""

from __future__ import annotations

import ipaddress
import re
import shlex
from dataclasses import dataclass
from typing import Callable

from ..backend.base import RangeBackend
from ..errors import CyderError
from ..model.range import Range
from ..services.dns import DnsService
from ..services.proxy import ProxyService, organisation_proxy
from .checks import self_safe


class ActionError(CyderError):
    """An action that cannot be taken as asked (bad parameters, unknown host, command failed)."""


@dataclass(frozen=True)
class ActionSpec:
    """A response action: its parameters, what it does, and how."""

    name: str
    params: tuple[str, ...]
    help: str
    run: Callable[["ActionContext", dict[str, str]], str]


@dataclass
class ActionContext:
    """The team's range, reached through the backend."""

    backend: RangeBackend
    team: str
    range: Range

    def host(self, name: str):
        """A host of the team's range; ActionError when there is none of that name (a path, another
        team's container name or anything else that is not one of the range's hosts)."""
        host = self.range.host(name) if isinstance(name, str) else None
        if host is None:
            raise ActionError(f"unknown host {name!r}: name one of the range's hosts (cyder status lists them)")
        return host

    def sh(self, host: str, command: str, what: str) -> str:
        """Run a shell command in a host; ActionError with its output when it fails."""
        self.host(host)
        result = self.backend.exec(self.team, host, command, timeout=30)
        if not result.ok:
            raise ActionError(f"{what} failed on {host}: {(result.stderr or result.stdout).strip()[:300]}")
        return result.stdout

    def organisation_dns(self) -> str:
        """The organisation's DNS server (the one serving its own domain)."""
        zone = next((z for z in self.range.dns if z.domain == self.range.domain), None)
        if zone is None:
            raise ActionError("the range has no DNS server for its own domain")
        return zone.server

    def proxy(self) -> str:
        """The organisation's web proxy."""
        host = organisation_proxy(self.range)
        if host is None:
            raise ActionError("the range has no web proxy")
        return host.name

    def firewall(self) -> str:
        """The range's firewall host."""
        if self.range.firewall is None:
            raise ActionError("the range has no firewall")
        return self.range.firewall.host


DOMAIN = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")
USER = re.compile(r"^[a-z_][a-z0-9_.-]{0,31}$")


def _address(params: dict[str, str]) -> str:
    try:
        return str(ipaddress.ip_address(params["address"]))
    except ValueError:
        raise ActionError(f"not an IP address: {params['address']!r}") from None


def _domain(params: dict[str, str]) -> str:
    domain = params["domain"].lower().rstrip(".")
    if not DOMAIN.match(domain):
        raise ActionError(f"not a domain name: {params['domain']!r}")
    return domain


def _user(params: dict[str, str]) -> str:
    if not USER.match(params["user"]):
        raise ActionError(f"not an account name: {params['user']!r}")
    return params["user"]


def block_ip(ctx: ActionContext, params: dict[str, str]) -> str:
    """Reject traffic to and from an address at the firewall (logged as FW BLOCK)."""
    address = _address(params)
    fw = ctx.firewall()
    for direction in ("-d", "-s"):
        ctx.sh(fw, f"iptables -C FORWARD {direction} {address} -j REJECT 2>/dev/null || "
                   f"iptables -I FORWARD 2 {direction} {address} -j REJECT", "blocking an address")
    return f"{address} blocked at {fw}"


def block_domain_dns(ctx: ActionContext, params: dict[str, str]) -> str:
    """Sinkhole a domain (and every name under it) at the organisation's DNS server."""
    domain = _domain(params)
    dns = ctx.organisation_dns()
    zone = (f"$TTL 60\n@ IN SOA sinkhole. hostmaster.sinkhole. (1 3600 600 86400 60)\n@ IN NS {dns}.\n"
            "@ IN A 0.0.0.0\n* IN A 0.0.0.0\n")
    path = f"{DnsService.SINKHOLE_DIR}/db.{domain}"
    ctx.backend.write_file(ctx.team, dns, path, zone.encode())
    stanza = f'zone "{domain}" {{ type master; file "{path}"; }};'
    conf = DnsService.SINKHOLE_CONF
    ctx.sh(dns, f"grep -qF {shlex.quote(stanza)} {conf} || "
                f"echo {shlex.quote(stanza)} >> {conf}; pkill -HUP -x named", "reloading BIND")
    ctx.sh(dns, f"for i in $(seq 50); do dig +short @127.0.0.1 {domain} | grep -qx 0.0.0.0 && exit 0; "
                "sleep 0.1; done; exit 1", "checking the sinkhole")
    return f"{domain} sinkholed at {dns}"


def block_domain_proxy(ctx: ActionContext, params: dict[str, str]) -> str:
    """Deny a domain (and every name under it) at the web proxy."""
    domain = _domain(params)
    proxy = ctx.proxy()
    deny = ProxyService.DENY_FILE
    ctx.sh(proxy, f"grep -qxF .{domain} {deny} || echo .{domain} >> {deny}; squid -k reconfigure", "reconfiguring Squid")
    return f"{domain} denied at {proxy}"


def isolate(ctx: ActionContext, params: dict[str, str]) -> str:
    """Pull a host's cables: detach it from every segment."""
    host = ctx.host(params["host"])
    for att in host.attachments:
        ctx.backend.disconnect(ctx.team, host.name, att.segment)
    return f"{host.name} isolated from {', '.join(a.segment for a in host.attachments)}"


def reconnect(ctx: ActionContext, params: dict[str, str]) -> str:
    """Attach an isolated host again, with its addresses."""
    host = ctx.host(params["host"])
    for att in host.attachments:
        ctx.backend.connect(ctx.team, host.name, att.segment)
    return f"{host.name} reconnected"


def kill_process(ctx: ActionContext, params: dict[str, str]) -> str:
    """Kill every process of a host whose command line contains a pattern."""
    pattern = params["pattern"]
    ctx.host(params["host"])
    listed = ctx.backend.exec(ctx.team, params["host"], ["pgrep", "-af", self_safe(pattern)]).stdout.strip()
    if not listed:
        return f"no process matches {pattern!r} on {params['host']}"
    ctx.backend.exec(ctx.team, params["host"], ["pkill", "-KILL", "-f", self_safe(pattern)])
    return f"killed on {params['host']}: {listed[:300]}"


def lock_account(ctx: ActionContext, params: dict[str, str]) -> str:
    """Lock an account (password logins refused; Samba too when it has one)."""
    user = _user(params)
    ctx.sh(params["host"], f"usermod -L {user} && (pdbedit -c '[D]' -u {user} >/dev/null 2>&1 || true)",
           "locking the account")
    return f"{user} locked on {params['host']}"


def reset_password(ctx: ActionContext, params: dict[str, str]) -> str:
    """Give an account a new password."""
    user = _user(params)
    password = params["password"]
    if len(password) < 8 or ":" in password or "\n" in password:
        raise ActionError("the new password needs 8 characters or more, and no ':' or newline")
    result = ctx.backend.exec(ctx.team, params["host"], ["sh", "-c", f"printf '%s:%s\\n' {user} {shlex.quote(password)} | chpasswd"])
    if not result.ok:
        raise ActionError(f"resetting the password failed on {params['host']}: {result.stderr.strip()[:200]}")
    return f"password of {user} reset on {params['host']}"


def remove_persistence(ctx: ActionContext, params: dict[str, str]) -> str:
    """Remove a user's cron lines and autostart entries that mention a pattern."""
    user, pattern = _user(params), shlex.quote(params["pattern"])
    ctx.sh(params["host"], f"if crontab -l -u {user} >/tmp/.cron 2>/dev/null; then grep -vF {pattern} /tmp/.cron "
                           f"| crontab -u {user} -; fi; rm -f /tmp/.cron; "
                           f"grep -rlF {pattern} /home/{user}/.config/autostart 2>/dev/null | xargs -r rm -f",
           "removing persistence")
    return f"persistence of {user} mentioning {params['pattern']!r} removed on {params['host']}"


def quarantine_mail(ctx: ActionContext, params: dict[str, str]) -> str:
    """Move a user's mails that contain a pattern (sender, subject) out of the mailbox."""
    user, pattern = _user(params), shlex.quote(params["pattern"])
    out = ctx.sh(params["host"], f"mkdir -p /var/quarantine/{user}; grep -rlF {pattern} /home/{user}/Maildir/new "
                                 f"/home/{user}/Maildir/cur 2>/dev/null | while read f; do mv \"$f\" /var/quarantine/{user}/ "
                                 "&& echo \"$f\"; done", "quarantining mail")
    count = len(out.split())
    return f"{count} mail(s) of {user} quarantined on {params['host']}"


def delete_file(ctx: ActionContext, params: dict[str, str]) -> str:
    """Delete a file (a dropped implant, say)."""
    path = params["path"]
    if not path.startswith("/") or "\n" in path:
        raise ActionError(f"not an absolute path: {path!r}")
    ctx.sh(params["host"], f"rm -f -- {shlex.quote(path)}", "deleting the file")
    return f"{path} deleted on {params['host']}"


ACTIONS: dict[str, ActionSpec] = {spec.name: spec for spec in (
    ActionSpec("block-ip", ("address",), "reject traffic to and from an address at the firewall", block_ip),
    ActionSpec("block-domain-dns", ("domain",), "sinkhole a domain at the organisation's DNS", block_domain_dns),
    ActionSpec("block-domain-proxy", ("domain",), "deny a domain at the web proxy", block_domain_proxy),
    ActionSpec("isolate", ("host",), "detach a host from every segment", isolate),
    ActionSpec("reconnect", ("host",), "attach an isolated host again", reconnect),
    ActionSpec("kill-process", ("host", "pattern"), "kill the processes whose command line contains a pattern", kill_process),
    ActionSpec("lock-account", ("host", "user"), "lock an account", lock_account),
    ActionSpec("reset-password", ("host", "user", "password"), "give an account a new password", reset_password),
    ActionSpec("remove-persistence", ("host", "user", "pattern"), "remove cron lines and autostart entries", remove_persistence),
    ActionSpec("quarantine-mail", ("host", "user", "pattern"), "move matching mail out of a mailbox", quarantine_mail),
    ActionSpec("delete-file", ("host", "path"), "delete a file", delete_file),
)}


def take_action(backend: RangeBackend, team: str, rng: Range, name: str, params: dict[str, str]) -> str:
    """Carry out a response action; return what was done (ActionError when it cannot be)."""
    spec = ACTIONS.get(name)
    if spec is None:
        raise ActionError(f"unknown action {name!r}; expected one of {', '.join(ACTIONS)}")
    missing = [p for p in spec.params if not params.get(p)]
    if missing:
        raise ActionError(f"{name} needs {', '.join(f'{p}=...' for p in missing)}")
    extra = sorted(set(params) - set(spec.params))
    if extra:
        raise ActionError(f"{name} takes no {', '.join(extra)}")
    ctx = ActionContext(backend, team, rng)
    if "host" in spec.params:
        ctx.host(params["host"])  # every action acts on one of this team's own range hosts, or on none
    return spec.run(ctx, params)
