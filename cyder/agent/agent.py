#!/usr/bin/python3
"""cyder's agent inside every range container (standard library only; runs on the image's python3).

`agent.py boot` is the container's main process: it reads the host plan that the backend placed at
/etc/cyder/host.json, gives the interfaces their range addresses, creates accounts, places files,
starts the services, then waits. `agent.py health` runs the host's health checks and prints JSON.
The plan is rendered outside the container (cyder.provision), so this file stays small and dumb.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time

PLAN_PATH = "/etc/cyder/host.json"
STATE_DIR = "/run/cyder"
LOG_PATH = "/var/log/cyder-agent.log"


def log(message):
    """Write one line to the agent's log and to the container's output."""
    line = time.strftime("%Y-%m-%dT%H:%M:%S ") + message
    print(line, flush=True)
    with open(LOG_PATH, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def run(command, check=True, input_text=None):
    """Run a shell command and capture its output; log and raise on failure when `check`."""
    proc = subprocess.run(["/bin/sh", "-c", command], input=input_text, capture_output=True, text=True)
    if check and proc.returncode != 0:
        log(f"command failed ({proc.returncode}): {command}: {proc.stderr.strip()[:500]}")
        raise RuntimeError(command)
    return proc


def start(command):
    """Run a service's start command with its output in the agent's log.

    Daemons keep the descriptors they inherit; a pipe would make us wait for them forever.
    """
    with open(LOG_PATH, "a", encoding="utf-8") as out:
        code = subprocess.call(["/bin/sh", "-c", command], stdin=subprocess.DEVNULL, stdout=out, stderr=out)
    if code != 0:
        log(f"command failed ({code}): {command}")
        raise RuntimeError(command)


def interfaces_by_transport(plan):
    """Map each planned interface to the device Docker gave it, found by its transport subnet."""
    import ipaddress

    shown = json.loads(run("ip -j -4 addr show").stdout)
    devices = {}
    for iface in plan["interfaces"]:
        net = ipaddress.ip_network(iface["transport"])
        for dev in shown:
            for addr in dev.get("addr_info", []):
                if ipaddress.ip_address(addr["local"]) in net:
                    devices[iface["segment"]] = (dev["ifname"], addr["local"], addr["prefixlen"])
    return devices


def configure_network(plan, only_segment=None):
    """Replace Docker's transport addresses with the range's addresses and routes."""
    wanted = [i for i in plan["interfaces"] if only_segment in (None, i["segment"])]
    for _ in range(100):
        devices = interfaces_by_transport(plan)
        if all(i["segment"] in devices for i in wanted):
            break
        time.sleep(0.05)  # Docker attaches the remaining networks just after start
    else:
        raise RuntimeError(f"interfaces not found: {wanted}")
    for iface in wanted:
        dev, transport_addr, prefix = devices[iface["segment"]]
        run(f"ip addr add {iface['address']}/{iface['prefix']} dev {dev}")
        run(f"ip addr del {transport_addr}/{prefix} dev {dev}")
    aliases = plan.get("aliases", [])
    if aliases and wanted and wanted[0]["segment"] == plan["interfaces"][0]["segment"]:
        # One `ip` process for hundreds of PC addresses; `replace` makes a re-attach idempotent.
        dev = devices[plan["interfaces"][0]["segment"]][0]
        run("ip -batch -", input_text="".join(f"addr replace {a} dev {dev}\n" for a in aliases))
    for route in plan.get("routes", []):
        run(f"ip route replace {route['to']} via {route['via']}", check=only_segment is None)
    if only_segment is None:
        write_name_service(plan)
        block_embedded_resolver()


# Docker's embedded resolver on user networks; on engines before the fix for CVE-2024-29018 (and
# on machines whose own resolver is on loopback) it can answer with the machine's view of names.
EMBEDDED_RESOLVER = "127.0.0.11"


def block_embedded_resolver():
    """Drop every packet to Docker's embedded resolver: the range's DNS is the only one."""
    rule = f"OUTPUT -d {EMBEDDED_RESOLVER} -j DROP"
    if run(f"iptables -w -C {rule}", check=False).returncode != 0:
        run(f"iptables -w -I {rule}")


def attach(segment):
    """Give a re-connected interface its range address back (and the default route with it)."""
    with open(PLAN_PATH, encoding="utf-8") as fh:
        configure_network(json.load(fh), only_segment=segment)


def write_name_service(plan):
    """Point the resolver at the range's DNS and write /etc/hosts."""
    with open("/etc/resolv.conf", "w", encoding="utf-8") as fh:
        fh.write("".join(f"nameserver {ns}\n" for ns in plan.get("nameservers", [])))
        if plan.get("search"):
            fh.write(f"search {plan['search']}\n")
    with open("/etc/hosts", "w", encoding="utf-8") as fh:
        fh.write("127.0.0.1\tlocalhost\n")
        for address, names in plan.get("hosts_entries", []):
            fh.write(f"{address}\t{' '.join(names)}\n")


def create_users(plan):
    """Create groups and accounts with their passwords and home folders."""
    for group in sorted({g for u in plan.get("users", []) for g in u.get("groups", [])}):
        run(f"getent group {group} >/dev/null || groupadd {group}")
    passwords = []
    for user in plan.get("users", []):
        if run(f"id -u {user['name']} >/dev/null 2>&1", check=False).returncode != 0:
            shell = user.get("shell", "/bin/bash")
            comment = user.get("full_name", "").replace("'", "")
            run(f"useradd -m -s {shell} -c '{comment}' {user['name']}")
        if user.get("groups"):
            run(f"usermod -a -G {','.join(user['groups'])} {user['name']}")
        passwords.append(f"{user['name']}:{user['password']}")
    if passwords:
        run("chpasswd", input_text="\n".join(passwords) + "\n")


BULK_UID = 20000


def create_bulk_users(plan):
    """Write many accounts straight into the account files (useradd takes a second per hundred).

    They have no Unix password: the simulated staff authenticate to Dovecot and Samba from those
    services' own password files.
    """
    users = plan.get("bulk_users", [])
    if not users:
        return
    with open("/etc/passwd", encoding="utf-8") as fh:
        known = {line.split(":", 1)[0] for line in fh}
    fresh = [u for u in users if u["name"] not in known]
    with open("/etc/passwd", "a", encoding="utf-8") as passwd, open("/etc/shadow", "a", encoding="utf-8") as shadow, \
            open("/etc/group", "a", encoding="utf-8") as group:
        for i, user in enumerate(fresh):
            uid = BULK_UID + i
            comment = user.get("full_name", "").replace(":", " ")
            passwd.write(f"{user['name']}:x:{uid}:{uid}:{comment}:/home/{user['name']}:/usr/sbin/nologin\n")
            shadow.write(f"{user['name']}:!:19800:0:99999:7:::\n")
            group.write(f"{user['name']}:x:{uid}:\n")
            # Postfix and Dovecot create the Maildir inside on first use; the home is enough.
            home = f"/home/{user['name']}"
            os.makedirs(home, mode=0o700, exist_ok=True)
            os.chown(home, uid, uid)


def smb_import(path):
    """Give Samba accounts to many users at once, written straight into its smbpasswd file.

    The file server keeps its accounts in smbpasswd format (`passdb backend = smbpasswd`), so a
    thousand staff take milliseconds where `pdbedit` imports took seconds.
    """
    import pwd

    from Cryptodome.Hash import MD4

    with open(path, encoding="utf-8") as fh:
        users = json.load(fh)
    # LCT is the last password change; 0 would mean "must change before first logon".
    changed = f"LCT-{int(time.time()):08X}"
    lines = [f"{name}:{pwd.getpwnam(name).pw_uid}:{'X' * 32}:"
             f"{MD4.new(password.encode('utf-16-le')).hexdigest().upper()}:[U          ]:{changed}:\n"
             for name, password in users]
    with open(SMBPASSWD, "a", encoding="utf-8") as fh:
        fh.writelines(lines)
    os.chmod(SMBPASSWD, 0o600)


SMBPASSWD = "/etc/samba/smbpasswd"


def process_monitor(interval=0.2):
    """Log every new process of this host to syslog (tag procmon): pid, parent, user and command.

    Containers cannot run an audit daemon, so /proc is polled; processes shorter than the interval
    may be missed, which the evidence documentation says.
    """
    import pwd
    import syslog

    syslog.openlog("procmon", 0, syslog.LOG_USER)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    seen = set(p for p in os.listdir("/proc") if p.isdigit())
    own = str(os.getpid())
    while True:
        time.sleep(interval)
        current = set(p for p in os.listdir("/proc") if p.isdigit())
        for pid in sorted(current - seen, key=int):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as fh:
                    command = fh.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
                with open(f"/proc/{pid}/status", encoding="utf-8") as fh:
                    status = dict(line.split(":", 1) for line in fh if ":" in line)
                ppid = status["PPid"].strip()
                uid = int(status["Uid"].split()[0])
            except (OSError, KeyError, ValueError):
                continue  # gone already
            if not command or ppid == own:
                continue
            try:
                user = pwd.getpwuid(uid).pw_name
            except KeyError:
                user = str(uid)
            syslog.syslog(syslog.LOG_INFO, f"exec pid={pid} ppid={ppid} user={user} cmd={command[:400]}")
        seen = current


def place_files(plan):
    """Write the plan's files with their owners and modes."""
    for spec in plan.get("files", []):
        path = spec["path"]
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(spec["content"])
        os.chmod(path, int(spec.get("mode", "0644"), 8))
        owner = spec.get("owner", "root")
        if owner != "root":
            run(f"chown {owner}: '{path}'")
            parent = os.path.dirname(path)
            home = f"/home/{owner}"
            while parent.startswith(home + "/"):
                run(f"chown {owner}: '{parent}'")
                parent = os.path.dirname(parent)


# What the agent still reads after boot (health checks, re-attaching a segment): everything else in
# the plan (accounts with their passwords, files with their contents) is removed once it is placed.
KEPT_AFTER_BOOT = ("name", "role", "interfaces", "routes", "nameservers", "search", "hosts_entries", "aliases",
                   "ready_timeout")


def strip_secrets(plan):
    """Rewrite the plan file (root only) without accounts, passwords and file contents."""
    kept = {key: plan[key] for key in KEPT_AFTER_BOOT if key in plan}
    kept["services"] = [{"name": s["name"], "check": s.get("check", "")} for s in plan.get("services", [])]
    temporary = PLAN_PATH + ".new"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as fh:
        json.dump(kept, fh)
    os.chmod(temporary, 0o600)
    os.replace(temporary, PLAN_PATH)


def start_services(plan):
    """Start the logging first, then every service in parallel; return the names that failed."""
    failed = []
    for step in plan.get("first", []):
        try:
            start(step)
        except RuntimeError:
            failed.append("logging")

    def start_service(service):
        try:
            for step in service["start"]:
                start(step)
            log(f"started {service['name']}")
        except RuntimeError:
            failed.append(service["name"])

    threads = [threading.Thread(target=start_service, args=(s,)) for s in plan.get("services", [])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failed


READY_MARK = "CYDER-READY "
FAILED_MARK = "CYDER-FAILED "


def boot():
    """Main process of a range container.

    After starting the services it runs their checks until all pass, then prints one line,
    CYDER-READY or CYDER-FAILED with a JSON report, which the backend waits for in the
    container's output (cheaper than polling with docker exec while a whole range boots).
    """
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    os.makedirs(STATE_DIR, exist_ok=True)
    with open(PLAN_PATH, encoding="utf-8") as fh:
        plan = json.load(fh)
    try:
        began = time.monotonic()
        phases = []
        # useradd rereads the account files: give it the short ones, before the bulk accounts.
        for name, phase in (("network", configure_network), ("users", create_users),
                            ("bulk users", create_bulk_users), ("files", place_files)):
            phase(plan)
            phases.append(f"{name} {time.monotonic() - began:.2f}s")
        failed = start_services(plan)
        phases.append(f"services {time.monotonic() - began:.2f}s")
        log("boot phases: " + ", ".join(phases))
    except Exception as exc:  # noqa: BLE001 - the backend reads the reason from the report
        failed = [f"boot: {exc}"]
    strip_secrets(plan)
    state = {"booted": True, "failed": failed}
    with open(f"{STATE_DIR}/state.json", "w", encoding="utf-8") as fh:
        json.dump(state, fh)
    log(f"boot done; failed: {failed}" if failed else "boot done")
    checks = {}
    deadline = time.monotonic() + float(plan.get("ready_timeout", 170))
    while not failed and time.monotonic() < deadline:
        checks = run_checks(plan)
        if all(checks.values()):
            break
        time.sleep(0.1)
    report = {**state, "checks": checks}
    healthy = not failed and all(checks.values())
    print((READY_MARK if healthy else FAILED_MARK) + json.dumps(report), flush=True)
    while True:
        signal.pause()


def run_checks(plan):
    """Run every service's check in parallel; return {service: passed}."""
    results = {}

    def check(service):
        try:
            proc = subprocess.run(["/bin/sh", "-c", service["check"]], capture_output=True, timeout=5)
            results[service["name"]] = proc.returncode == 0
        except subprocess.TimeoutExpired:
            results[service["name"]] = False

    threads = [threading.Thread(target=check, args=(s,)) for s in plan.get("services", []) if s.get("check")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def health():
    """Print {"booted": bool, "failed": [...], "checks": {service: bool}} for this host."""
    try:
        with open(f"{STATE_DIR}/state.json", encoding="utf-8") as fh:
            state = json.load(fh)
    except (OSError, ValueError):
        print(json.dumps({"booted": False, "failed": [], "checks": {}}))
        return
    with open(PLAN_PATH, encoding="utf-8") as fh:
        state["checks"] = run_checks(json.load(fh))
    print(json.dumps(state))


CAPTURE_DIR = "/var/lib/cyder/pcap"


def capture():
    """Main process of a team's capture container: record every segment into a pcap file.

    The container takes no address on any segment (it only listens), and the backend puts each
    segment's bridge in flooding mode so this port sees all of the segment's traffic.
    """
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with open(PLAN_PATH, encoding="utf-8") as fh:
        plan = json.load(fh)
    for _ in range(100):
        devices = interfaces_by_transport(plan)
        if len(devices) == len(plan["interfaces"]):
            break
        time.sleep(0.05)
    os.makedirs(CAPTURE_DIR, exist_ok=True)
    for segment, (dev, _, _) in devices.items():
        run(f"ip addr flush dev {dev} && ip link set {dev} promisc on")
        subprocess.Popen(["tcpdump", "-i", dev, "-n", "-U", "-s", "0", "-w", f"{CAPTURE_DIR}/{segment}.pcap"],
                         stdout=subprocess.DEVNULL, stderr=open(LOG_PATH, "a", encoding="utf-8"))
    print(READY_MARK + json.dumps({"booted": True, "failed": [], "checks": {}}), flush=True)
    while True:
        signal.pause()


if __name__ == "__main__":
    if sys.argv[1] == "attach":
        attach(sys.argv[2])
    elif sys.argv[1] == "smb-import":
        smb_import(sys.argv[2])
    elif sys.argv[1] == "procmon":
        process_monitor()
    else:
        {"boot": boot, "health": health, "capture": capture}[sys.argv[1]]()
