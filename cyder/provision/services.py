"""Configuration of each real daemon from the range model: one function per service kind.

Each `_plan_<kind>` writes the daemon's configuration files into the host plan and says how to
start it and how to check that it answers. The daemons are Debian's: BIND, Postfix, Dovecot,
nginx, Squid, OpenSSH, Samba, PostgreSQL, rsyslog and, on the firewall, iptables with ulogd2.
The plan types and the health-check helpers (`ServicePlan`, `banner_check` ...) are in context.py,
which plan.py imports too, so this module never imports plan.py.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Callable

from ..model.population import file_server, is_staff_host
from ..model.range import (AppService, DnsService, Host, HttpService, PostgresService, ProxyService,
                           SegmentKind, SmbService, SmtpService, Staff, english, japanese)
from .context import HostPlan, RangeContext, ServicePlan, banner_check, banner_free_check

# Port and protocol of each service kind: the firewall opens these for declared flows.
SERVICE_PORTS: dict[str, list[tuple[str, int]]] = {
    "dns": [("udp", 53), ("tcp", 53)],
    "smtp": [("tcp", 25)],
    "imap": [("tcp", 143)],
    "http": [("tcp", 80)],
    "proxy": [("tcp", 3128)],
    "ssh": [("tcp", 22)],
    "smb": [("tcp", 445)],
    "postgres": [("tcp", 5432)],
    "app": [("tcp", 8080)],
    "syslog": [("udp", 514), ("tcp", 514), ("tcp", 2514)],
}
RELP_PORT = 2514  # reliable syslog (RELP) between the hosts and the collector


def service_ports(host: Host, kind: str) -> list[tuple[str, int]]:
    """Ports a host's service listens on (a configured port overrides the default)."""
    svc = host.service(kind)
    port = getattr(svc, "port", None)
    return [("tcp", port)] if port else SERVICE_PORTS[kind]


def plan_service(ctx: RangeContext, host: Host, svc, plan: HostPlan) -> None:
    """Add one service of a host to its plan."""
    PLANNERS[svc.kind](ctx, host, svc, plan)


def staff_readme(ctx: RangeContext, member: Staff) -> str:
    """A short note in a staff member's Documents folder, as a new PC would have."""
    mail = ctx.range.mail_server()
    return (f"{japanese(member.name)} ({english(member.name)})\n"
            f"所属 / Department: {japanese(member.department, '-')} / {english(member.department, '-')}\n"
            f"メール / Mail: {member.user}@{ctx.range.domain}"
            + (f" (IMAP: {mail.name}.{ctx.range.domain})" if mail else "") + "\n")


def plan_logging(ctx: RangeContext, host: Host, plan: HostPlan) -> None:
    """rsyslog on every host: local files, and for the organisation a copy to the collector."""
    collector = ctx.collector()
    forward = ""
    if collector and collector.name != host.name and ctx.range.is_organisation_host(host):
        target = collector.address_seen_from(host)
        # RELP acknowledges every line, and the disk-assisted queue keeps lines while the collector
        # is away, so a collector restart loses none (plain TCP syslog drops what was in flight).
        forward = ('module(load="omrelp")\n'
                   f'action(type="omrelp" target="{target}" port="{RELP_PORT}" '
                   'queue.type="LinkedList" queue.filename="to-collector" queue.saveOnShutdown="on" '
                   'action.resumeRetryCount="-1" action.resumeInterval="1")\n')
    receive = ""
    if host.service("syslog"):
        receive = ('module(load="imudp")\ninput(type="imudp" port="514" ruleset="remote")\n'
                   'module(load="imtcp")\ninput(type="imtcp" port="514" ruleset="remote")\n'
                   f'module(load="imrelp")\ninput(type="imrelp" port="{RELP_PORT}" ruleset="remote")\n'
                   'template(name="per-host" type="string" string="/var/log/remote/%HOSTNAME%/%PROGRAMNAME:::secpath-replace%.log")\n'
                   'ruleset(name="remote") {\n  action(type="omfile" dynaFile="per-host" dirCreateMode="0755" createDirs="on")\n'
                   '  action(type="omfile" file="/var/log/remote/all.log")\n}\n')
    plan.add_file("/etc/rsyslog.conf", (
        'global(workDirectory="/var/spool/rsyslog" maxMessageSize="64k")\n'
        'module(load="imuxsock" SysSock.ParseHostname="on")\n'
        'module(load="builtin:omfile" template="RSYSLOG_FileFormat")\n'
        + receive +
        "*.*;auth,authpriv,mail,local5,local6,local7.none\t-/var/log/syslog\n"
        "auth,authpriv.*\t/var/log/auth.log\n"
        "mail.*\t-/var/log/mail.log\n"
        "local5.*\t-/var/log/file-access.log\n"
        "local6.*\t-/var/log/firewall.log\n"
        "local7.*\t-/var/log/web-access.log\n"
        + forward))
    plan.first += ["mkdir -p /var/spool/rsyslog", "rm -f /run/rsyslogd.pid", "rsyslogd"]


def plan_firewall(ctx: RangeContext, host: Host, plan: HostPlan) -> None:
    """iptables between segments: deny unless a flow allows it; ulogd2 logs accepts and denies."""
    plan.add_file("/etc/cyder/firewall.rules", firewall_rules(ctx))
    plan.add_file("/etc/ulogd.conf", (
        "[global]\nlogfile=\"syslog\"\nloglevel=5\n"
        'plugin="/usr/lib/cyder-ulogd/ulogd_inppkt_NFLOG.so"\n'
        'plugin="/usr/lib/cyder-ulogd/ulogd_raw2packet_BASE.so"\n'
        'plugin="/usr/lib/cyder-ulogd/ulogd_filter_IFINDEX.so"\n'
        'plugin="/usr/lib/cyder-ulogd/ulogd_filter_IP2STR.so"\n'
        'plugin="/usr/lib/cyder-ulogd/ulogd_filter_PRINTPKT.so"\n'
        'plugin="/usr/lib/cyder-ulogd/ulogd_output_SYSLOG.so"\n'
        "stack=log1:NFLOG,base1:BASE,ifi1:IFINDEX,ip2str1:IP2STR,print1:PRINTPKT,sys1:SYSLOG\n"
        "[log1]\ngroup=0\n[sys1]\nfacility=LOG_LOCAL6\nlevel=LOG_NOTICE\n"))
    plan.services.append(ServicePlan(
        "firewall",
        ["iptables-restore < /etc/cyder/firewall.rules",
         "ln -sfn /usr/lib/$(uname -m)-linux-gnu/ulogd /usr/lib/cyder-ulogd", "ulogd -d"],
        "iptables -S FORWARD | grep -q -- '-P FORWARD DROP' && pgrep -x ulogd >/dev/null"))


def firewall_rules(ctx: RangeContext) -> str:
    """The firewall's iptables-restore input: declared flows, logging flows, then log-and-deny."""
    rng = ctx.range
    lines = ["*filter", ":INPUT ACCEPT [0:0]", ":FORWARD DROP [0:0]", ":OUTPUT ACCEPT [0:0]",
             "-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT"]

    def sources(names: list[str]) -> list[str]:
        out = []
        for name in names:
            if seg := rng.segment(name):
                out.append(str(seg.subnet))
            elif host := rng.host(name):
                out += [f"{a.address}/32" for a in host.attachments]
        return out

    def allow(label: str, src: list[str], destinations: list[str], ports: list[tuple[str, int]]) -> None:
        for s in src:
            for d in destinations:
                for proto, port in ports:
                    match = f"-s {s} -d {d} -p {proto} --dport {port} -m conntrack --ctstate NEW"
                    lines.append(f'-A FORWARD {match} -j NFLOG --nflog-group 0 --nflog-prefix "FW ACCEPT {label} "')
                    lines.append(f"-A FORWARD {match} -j ACCEPT")

    for i, flow in enumerate(rng.firewall.flows if rng.firewall else []):
        label = (flow.name or f"flow{i + 1}").replace('"', "")[:20]
        if target := rng.host(flow.to):
            allow(label, sources(flow.from_), [f"{a.address}/32" for a in target.attachments],
                  service_ports(target, flow.service))
        else:
            # A flow to a segment opens the service's ports on the whole segment, so addresses the
            # scenario gives attackers later (inside that segment) are reachable too.
            offering = [h for h in rng.hosts_on(flow.to) if h.service(flow.service)]
            ports = sorted({p for h in offering for p in service_ports(h, flow.service)})
            allow(label, sources(flow.from_), [str(rng.segment(flow.to).subnet)], ports)
    collector = ctx.collector()
    if collector:
        org_segments = [s.name for s in rng.segments if s.kind != SegmentKind.internet]
        allow("logging", sources(org_segments), [f"{a.address}/32" for a in collector.attachments],
              service_ports(collector, "syslog"))
    lines.append('-A FORWARD -j NFLOG --nflog-group 0 --nflog-prefix "FW DENY "')
    lines.append("COMMIT")
    return "\n".join(lines) + "\n"


def _plan_dns(ctx: RangeContext, host: Host, svc: DnsService, plan: HostPlan) -> None:
    rng = ctx.range
    zones = [z for z in rng.dns if z.server == host.name]
    forwarders = [str(rng.host(f).address_seen_from(host)) for f in svc.forwarders]
    options = [
        'directory "/var/cache/bind";', "listen-on { any; };", "listen-on-v6 { none; };",
        "allow-query { any; };", "dnssec-validation no;", "querylog yes;",
        f"recursion {'yes' if forwarders else 'no'};",
    ]
    if forwarders:
        options += [f"forwarders {{ {' '.join(f + ';' for f in forwarders)} }};", "forward only;",
                    "allow-recursion { any; };"]
    conf = ["options {", *("    " + o for o in options), "};",
            "logging {", "    channel to_syslog { syslog daemon; severity info; print-category yes; };",
            "    category queries { to_syslog; };", "    category default { to_syslog; };",
            "    category lame-servers { null; };", "};"]
    for zone in zones:
        path = f"/etc/bind/cyder/db.{zone.domain}"
        conf.append(f'zone "{zone.domain}" {{ type master; file "{path}"; }};')
        plan.add_file(path, zone_file(ctx, zone, host))
        if zone.include_hosts and zone.domain == rng.domain:
            for name, content in reverse_zones(ctx, host).items():
                conf.append(f'zone "{name}" {{ type master; file "/etc/bind/cyder/db.{name}"; }};')
                plan.add_file(f"/etc/bind/cyder/db.{name}", content)
            # Domains the defenders sinkhole (`cyder act block-domain-dns`) are added here.
            conf.append('include "/etc/bind/cyder/blocked.conf";')
            plan.add_file("/etc/bind/cyder/blocked.conf", "")
    plan.add_file("/etc/bind/named.conf", "\n".join(conf) + "\n")
    probe = zones[0].domain if zones else "."
    plan.services.append(ServicePlan(
        "dns", ["mkdir -p /run/named && chown bind:bind /run/named /var/cache/bind", "named -u bind"],
        f"dig +time=1 +tries=1 @127.0.0.1 {probe} SOA >/dev/null"))


def reverse_zones(ctx: RangeContext, server: Host) -> dict[str, str]:
    """PTR zones (one per /24) naming the organisation's hosts and staff PCs, so that logs such as
    Postfix's "connect from soumu-012.city.saida.lg.jp[10.20.12.12]" show the PC's name."""
    rng = ctx.range
    inside = ctx.organisation_subnets()
    names = [(a.address, f"{h.name}.{rng.domain}.") for h in rng.hosts
             if rng.is_organisation_host(h) and not is_staff_host(h.name) for a in h.attachments
             if any(a.address in subnet for subnet in inside)]
    names += [(p.address, f"{p.pc}.{rng.domain}.") for p in ctx.people]
    zones: dict[str, list[str]] = {}
    for address, name in names:
        octets = str(address).split(".")
        zone = f"{octets[2]}.{octets[1]}.{octets[0]}.in-addr.arpa"
        if zone not in zones:
            zones[zone] = ["$TTL 300", f"@ IN SOA {server.name}.{rng.domain}. hostmaster.{rng.domain}. (1 3600 600 86400 300)",
                           f"@ IN NS {server.name}.{rng.domain}."]
        zones[zone].append(f"{octets[3]} IN PTR {name}")
    return {zone: "\n".join(lines) + "\n" for zone, lines in zones.items()}


def zone_file(ctx: RangeContext, zone, server: Host) -> str:
    """A BIND zone file for one zone, with the organisation's hosts when the zone includes them."""
    rng = ctx.range
    lines = ["$TTL 300",
             f"@ IN SOA {server.name}.{zone.domain}. hostmaster.{zone.domain}. (1 3600 600 86400 300)",
             f"@ IN NS {server.name}.{zone.domain}."]
    names = {r.name for r in zone.records}
    if server.name not in names:
        lines.append(f"{server.name} IN A {server.address_seen_from(server)}")
        names.add(server.name)
    if zone.include_hosts:
        for host in rng.hosts:
            if rng.is_organisation_host(host) and host.name not in names and host.attachments:
                lines.append(f"{host.name} IN A {host.primary_address}")
        lines += [f"{p.pc} IN A {p.address}" for p in ctx.people if p.pc not in names]
    for record in zone.records:
        value = record.value
        if record.type == "MX":
            value = f"{record.priority} {value}"
        elif record.type == "TXT":
            value = '"' + value.replace('"', '\\"') + '"'
        lines.append(f"{record.name} IN {record.type} {value}")
    return "\n".join(lines) + "\n"


def _plan_smtp(ctx: RangeContext, host: Host, svc: SmtpService, plan: HostPlan) -> None:
    rng = ctx.range
    org = rng.is_organisation_host(host)
    domains = svc.domains or ([rng.domain] if org else [z.domain for z in rng.dns if z.server == host.name])
    networks = ["127.0.0.0/8"] + ([str(n) for n in ctx.organisation_subnets()] if org else [])
    settings = {
        "compatibility_level": "3.6",
        "myhostname": ctx.fqdn(host),
        "mydomain": domains[0] if domains else rng.domain,
        "myorigin": "$mydomain",
        "inet_interfaces": "all",
        "inet_protocols": "ipv4",
        "mynetworks": " ".join(networks),
        "smtpd_banner": "$myhostname ESMTP",
        "alias_maps": "", "alias_database": "",
        "home_mailbox": "Maildir/",
        "smtpd_relay_restrictions": "permit_mynetworks, reject_unauth_destination",
        "biff": "no",
        "maillog_file": "",
    }
    if svc.relay_to:
        relay = rng.host(svc.relay_to).address_seen_from(host)
        settings["mydestination"] = "localhost"
        settings["relay_domains"] = " ".join(domains)
        settings["transport_maps"] = "inline:{ " + ", ".join(f"{d}=smtp:[{relay}]:25" for d in domains) + " }"
    else:
        settings["mydestination"] = " ".join(["localhost", *domains, "$myhostname"])
    if svc.relayhost:
        settings["relayhost"] = f"[{rng.host(svc.relayhost).address_seen_from(host)}]:25"
    plan.add_file("/etc/postfix/main.cf", "".join(f"{k} = {v}\n" for k, v in settings.items()))
    if not svc.relay_to and org:
        for member in rng.staff:
            plan.add_user(member.user, member.password, english(member.name), shell="/usr/sbin/nologin")
            plan.add_file(f"/home/{member.user}/Maildir/new/0000000001.welcome.{host.name}",
                          welcome_mail(ctx, member), owner=member.user, mode="0600")
            for sub in ("cur", "tmp"):
                plan.add_file(f"/home/{member.user}/Maildir/{sub}/.keep", "", owner=member.user)
        for person in ctx.people:
            plan.add_bulk_user(person.user, english(person.name))
    plan.services.append(ServicePlan(
        "smtp",
        ["postconf -F '*/*/chroot = n'", "postfix start"],
        banner_check(25, "220")))


def welcome_mail(ctx: RangeContext, member: Staff) -> str:
    """The first mail in every staff mailbox, from the IT department."""
    domain = ctx.range.domain
    return (f"From: 情報政策課 <it@{domain}>\nTo: {member.user}@{domain}\n"
            "Subject: =?UTF-8?B?44Oh44O844Or44Ki44Kr44Km44Oz44OI44Gu44GU5qGI5YaF?=\n"
            "Date: Mon, 1 Apr 2024 09:00:00 +0900\n"
            f"Message-ID: <welcome.{member.user}@{domain}>\n"
            "MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n"
            f"{japanese(member.name)} 様\n\nメールアカウントを開設しました。\n"
            "Your mail account is ready.\n\n情報政策課 / IT Policy Division\n")


def _plan_imap(ctx: RangeContext, host: Host, svc, plan: HostPlan) -> None:
    plan.add_file("/etc/dovecot/local.conf", (
        "protocols = imap\nlisten = *\nmail_location = maildir:~/Maildir\n"
        "disable_plaintext_auth = no\nssl = no\nauth_mechanisms = plain login\n"
        "log_path = syslog\nsyslog_facility = mail\nauth_verbose = yes\n"
        "service imap-login {\n  process_min_avail = 2\n}\n"))
    if ctx.people:
        # The simulated staff log in from a password file (looked up first: a failed PAM lookup
        # costs seconds); the named staff and admins are system accounts checked through PAM.
        plan.add_file("/etc/dovecot/staff.passwd",
                      "".join(f"{p.user}:{{PLAIN}}{p.password}::::::\n" for p in ctx.people),
                      owner="dovecot", mode="0640")
        plan.add_file("/etc/dovecot/conf.d/auth-system.conf.ext", (
            "passdb {\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%n /etc/dovecot/staff.passwd\n}\n"
            "passdb {\n  driver = pam\n}\nuserdb {\n  driver = passwd\n}\n"))
    plan.services.append(ServicePlan("imap", ["dovecot"], banner_check(143, r"\* OK")))


def _plan_http(ctx: RangeContext, host: Host, svc: HttpService, plan: HostPlan) -> None:
    title_ja, title_en = japanese(svc.title, ctx.fqdn(host)), english(svc.title, ctx.fqdn(host))
    root = f"/var/www/{host.name}"
    plan.add_file(f"{root}/index.html", (
        f'<!doctype html>\n<html lang="ja"><head><meta charset="utf-8"><title>{title_ja}</title></head>\n'
        f"<body><h1>{title_ja}</h1><p>{title_en}</p></body></html>\n"))
    for path, content in svc.pages.items():
        plan.add_file(f"{root}/{path.lstrip('/')}", content)
    plan.add_file("/etc/nginx/sites-enabled/default", (
        "server {\n    listen 80 default_server;\n"
        f"    server_name {ctx.fqdn(host)} {host.name};\n    root {root};\n    index index.html;\n"
        "    access_log /var/log/nginx/access.log combined;\n"
        "    access_log syslog:server=unix:/dev/log,facility=local7,tag=nginx,severity=info combined;\n"
        "    error_log syslog:server=unix:/dev/log,tag=nginx warn;\n"
        "    location / { try_files $uri $uri/ =404; }\n}\n"))
    plan.services.append(ServicePlan(
        "http", ["nginx"],
        "test \"$(curl -s -o /dev/null -w '%{http_code}' --noproxy '*' -m 2 http://127.0.0.1/)\" = 200"))


def _plan_proxy(ctx: RangeContext, host: Host, svc: ProxyService, plan: HostPlan) -> None:
    rng = ctx.range
    allowed = [rng.segment(s).subnet for s in svc.allow_from] or ctx.organisation_subnets()
    resolver = ctx.resolver_for(host)
    dns = f"dns_nameservers {resolver.address_seen_from(host)}\n" if resolver else ""
    plan.add_file("/etc/squid/squid.conf", (
        f"http_port {svc.port}\n"
        f"acl staff src {' '.join(str(n) for n in allowed)}\n"
        "acl SSL_ports port 443\nacl CONNECT method CONNECT\n"
        "http_access deny CONNECT !SSL_ports\n"
        # Domains the defenders deny (`cyder act block-domain-proxy`); Squid wants the file non-empty.
        'acl blocked dstdomain "/etc/squid/blocked-domains"\nhttp_access deny blocked\n'
        "http_access allow staff\nhttp_access deny all\n"
        "access_log daemon:/var/log/squid/access.log squid\n"
        "access_log syslog:local7.info squid\n"
        "cache deny all\ncache_mem 8 MB\nmemory_pools off\n" + dns +
        f"visible_hostname {ctx.fqdn(host)}\npid_filename /run/squid.pid\n"
        "coredump_dir /var/spool/squid\nshutdown_lifetime 1 seconds\n"
        "forwarded_for on\nvia on\nconnect_timeout 10 seconds\n"))
    plan.add_file("/etc/squid/blocked-domains", ".blocked.invalid\n")
    plan.services.append(ServicePlan(
        "proxy", ["mkdir -p /var/log/squid && chown proxy:proxy /var/log/squid", "squid"],
        banner_free_check(svc.port)))


def _plan_ssh(ctx: RangeContext, host: Host, svc, plan: HostPlan) -> None:
    plan.add_file("/etc/ssh/sshd_config", (
        "HostKey /etc/ssh/ssh_host_ed25519_key\nPasswordAuthentication yes\nKbdInteractiveAuthentication no\n"
        "PermitRootLogin no\nUsePAM yes\nSyslogFacility AUTH\nLogLevel VERBOSE\nPrintMotd no\n"
        "Subsystem sftp /usr/lib/openssh/sftp-server\n"))
    # Each host gets its own key, as real machines do; the image's shared keys are removed.
    plan.services.append(ServicePlan(
        "ssh",
        ["rm -f /etc/ssh/ssh_host_*", "ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key",
         "mkdir -p /run/sshd", "/usr/sbin/sshd"],
        banner_check(22, "SSH-")))


def _plan_smb(ctx: RangeContext, host: Host, svc: SmbService, plan: HostPlan) -> None:
    rng = ctx.range
    conf = [
        "[global]", f"   workgroup = {svc.workgroup}", f"   netbios name = {host.name.upper()[:15]}",
        "   server role = standalone server", "   map to guest = bad user", "   disable netbios = yes",
        "   smb ports = 445", "   logging = syslog@2", "   load printers = no", "   printing = bsd",
        "   printcap name = /dev/null", "   disable spoolss = yes", "   unix charset = UTF-8",
        # A plain smbpasswd file: a thousand simulated staff are written into it at once.
        "   passdb backend = smbpasswd:/etc/samba/smbpasswd",
        # full_audit writes every open, rename and delete to syslog: the file-access evidence. %U is
        # the account that logged on (%u would be the forced user, root).
        "   vfs objects = full_audit", "   full_audit:prefix = %U|%I|%m|%S",
        "   full_audit:success = connect disconnect openat renameat unlinkat mkdirat",
        "   full_audit:failure = connect openat", "   full_audit:facility = LOCAL5",
        "   full_audit:priority = NOTICE", ""]
    for share in svc.shares:
        conf += [f"[{share.name}]", f"   path = {share.path}", f"   comment = {share.comment}",
                 f"   read only = {'no' if share.writable else 'yes'}", "   guest ok = yes",
                 "   force user = root", ""]
        plan.add_file(f"{share.path}/.cyder-share", "")
    plan.add_file("/etc/samba/smb.conf", "\n".join(conf))
    start = ["mkdir -p /run/samba /var/lib/samba/private"]
    accounts = []
    for member in rng.staff:
        plan.add_user(member.user, member.password, english(member.name), shell="/usr/sbin/nologin")
        accounts.append([member.user, member.password])
    if (server := file_server(rng)) and server.name == host.name:
        for person in ctx.people:
            plan.add_bulk_user(person.user, english(person.name))
            accounts.append([person.user, person.password])
    if accounts:
        plan.add_file("/etc/cyder/smb-users.json", json.dumps(accounts), mode="0600")
        start.append("python3 /opt/cyder/agent.py smb-import /etc/cyder/smb-users.json")
    start.append("smbd -D")
    plan.services.append(ServicePlan("smb", start, "smbclient -N -L //127.0.0.1 -m SMB3 >/dev/null 2>&1"))


def _plan_postgres(ctx: RangeContext, host: Host, svc: PostgresService, plan: HostPlan) -> None:
    conf_dir = "/etc/postgresql/15/main"
    plan.add_file(f"{conf_dir}/conf.d/cyder.conf", (
        "listen_addresses = '*'\nlog_destination = 'syslog'\nsyslog_ident = 'postgres'\n"
        "log_connections = on\nlog_disconnections = on\nlog_statement = 'all'\n"
        "fsync = off\nsynchronous_commit = off\nshared_buffers = 16MB\n"))
    plan.add_file(f"{conf_dir}/pg_hba.conf", (
        "local all postgres peer\nlocal all all md5\nhost all all 127.0.0.1/32 md5\n"
        "host all all 0.0.0.0/0 md5\n"), owner="postgres", mode="0640")
    sql = [f"CREATE ROLE {svc.user} LOGIN PASSWORD '{svc.password.replace(chr(39), chr(39) * 2)}';",
           f"CREATE DATABASE {svc.database} OWNER {svc.user} ENCODING 'UTF8' TEMPLATE template0;",
           f"\\connect {svc.database}"]
    for table in svc.tables:
        sql.append(f"CREATE TABLE {table.name} ({', '.join(f'{c} text' for c in table.columns)});")
        for row in table.rows:
            values = ", ".join("'" + str(v).replace("'", "''") + "'" for v in row)
            sql.append(f"INSERT INTO {table.name} VALUES ({values});")
        sql.append(f"ALTER TABLE {table.name} OWNER TO {svc.user};")
    plan.add_file("/etc/cyder/db-init.sql", "\n".join(sql) + "\n", owner="postgres", mode="0600")
    plan.services.append(ServicePlan(
        "postgres",
        ["chown -R postgres:postgres /etc/postgresql", "pg_ctlcluster 15 main start",
         "su postgres -c 'psql -q -v ON_ERROR_STOP=1 -f /etc/cyder/db-init.sql' >/dev/null"],
        "su postgres -c \"psql -tAc 'select 1'\" >/dev/null 2>&1"))


def _plan_app(ctx: RangeContext, host: Host, svc: AppService, plan: HostPlan) -> None:
    rng = ctx.range
    db_host = rng.host(svc.database)
    db = db_host.service("postgres")
    table = svc.table or (db.tables[0].name if db.tables else "")
    source = resources.files("cyder.agent").joinpath("webapp.py").read_text(encoding="utf-8")
    plan.add_file("/opt/cyder/webapp.py", source, mode="0755")
    plan.add_file("/etc/cyder/webapp.env", (
        f"APP_TITLE={japanese(svc.title, 'Application')} / {english(svc.title, 'Application')}\n"
        f"APP_PORT={svc.port}\nDB_HOST={db_host.address_seen_from(host)}\nDB_NAME={db.database}\n"
        f"DB_USER={db.user}\nDB_PASSWORD={db.password}\nDB_TABLE={table}\n"), mode="0600")
    plan.services.append(ServicePlan(
        "app",
        ["setsid python3 /opt/cyder/webapp.py /etc/cyder/webapp.env >/dev/null 2>&1 < /dev/null &"],
        f"test \"$(curl -s -o /dev/null -w '%{{http_code}}' --noproxy '*' -m 2 http://127.0.0.1:{svc.port}/health)\" = 200"))


def _plan_syslog(ctx: RangeContext, host: Host, svc, plan: HostPlan) -> None:
    # plan_logging gives this host's rsyslog its network inputs; rsyslog starts before services.
    plan.services.append(ServicePlan("syslog", ["true"], banner_free_check(RELP_PORT)))


def plan_staff(ctx: RangeContext, host: Host, plan: HostPlan) -> None:
    """A staff container: one address alias per simulated PC, and the activity generator."""
    rng = ctx.range
    population = rng.population
    people = ctx.people_in(host.name)
    prefix = rng.segment(population.segment).subnet.prefixlen
    plan.aliases = [f"{p.address}/{prefix}" for p in people[1:]]
    proxy = ctx.proxy()
    mail = rng.mail_server()
    imap = next((h for h in rng.hosts if h.service("imap") and rng.is_organisation_host(h)), mail)
    server = file_server(rng)
    smb = server.service("smb") if server else None
    resolver = ctx.resolver_for(host)
    internal = lambda domain: domain == rng.domain or domain.endswith("." + rng.domain)  # noqa: E731
    logins = []
    for name in population.logins:
        target = rng.host(name)
        admin = next(u for u in target.users if u.sudo)
        logins.append({"host": name, "address": str(target.address_seen_from(host)), "user": admin.name,
                       "password": admin.password})
    servers = [h.name for h in rng.hosts if rng.is_organisation_host(h) and h.role.value == "server"]
    lookups = ([f"{n}.{rng.domain}" for n in servers] + [f"{n}.{rng.domain}" for n in ("wpad", "isatap", "ntp")]
               + [s.domain for s in population.sites])
    config = {
        "seed": population.seed, "clock": population.clock, "domain": rng.domain,
        "profile": population.profile.model_dump(mode="json"),
        "dns": str(resolver.address_seen_from(host)) if resolver else None,
        "proxy": [str(proxy.address_seen_from(host)), proxy.service("proxy").port] if proxy else None,
        "mail": str(mail.address_seen_from(host)) if mail else None,
        "imap": str(imap.address_seen_from(host)) if imap else None,
        "file_server": {"name": server.name, "address": str(server.address_seen_from(host)),
                        "workgroup": smb.workgroup, "common": smb.shares[0].name if smb.shares else ""}
        if smb else None,
        "logins": logins, "lookups": lookups,
        "sites": [{"domain": s.domain, "paths": s.paths, "weight": s.weight, "internal": internal(s.domain)}
                  for s in population.sites],
        "colleagues": [{"user": p.user, "department": p.department.code} for p in ctx.people],
        "pcs": [{"pc": p.pc, "fqdn": f"{p.pc}.{rng.domain}", "address": str(p.address), "user": p.user,
                 "password": p.password, "name": japanese(p.name), "department": p.department.code,
                 "share": p.department.share, "admin": p.department.admins} for p in people],
    }
    plan.add_file("/etc/cyder/staff.json", json.dumps(config, ensure_ascii=False), mode="0600")
    for module in ("staff.py", "workday.py"):
        plan.add_file(f"/opt/cyder/{module}",
                      resources.files("cyder.agent").joinpath(module).read_text(encoding="utf-8"), mode="0755")
    plan.services.append(ServicePlan(
        "staff", ["setsid python3 /opt/cyder/staff.py >/dev/null 2>>/var/log/cyder-staff.log < /dev/null &"],
        "pgrep -f /opt/cyder/staff.py >/dev/null"))


def plan_process_monitor(plan: HostPlan) -> None:
    """Log every process start on a PC to syslog (tag procmon), as endpoint monitoring would."""
    plan.services.append(ServicePlan(
        "procmon", ["setsid python3 /opt/cyder/agent.py procmon >/dev/null 2>&1 < /dev/null &"],
        "pgrep -f 'agent.py procmon' >/dev/null"))


PLANNERS: dict[str, Callable] = {
    "dns": _plan_dns, "smtp": _plan_smtp, "imap": _plan_imap, "http": _plan_http, "proxy": _plan_proxy,
    "ssh": _plan_ssh, "smb": _plan_smb, "postgres": _plan_postgres, "app": _plan_app, "syslog": _plan_syslog,
}
