#!/usr/bin/python3
"""The simulated staff of one container: many PCs, each with its own address, doing an office day.

Runs inside a staff container (Debian's python3 with dnspython and impacket). Every PC's schedule
comes from workday.py; each action is carried out for real from the PC's own address, along the
same paths the attack takes: web pages through the proxy (or directly for the organisation's own
site), DNS lookups, mail sent to colleagues over SMTP and read over IMAP, the file server over
SMB, and, for IT staff, SSH logins to servers. The office clock lives in CLOCK_PATH so the engine
can move, speed up or pause it; counts of what was done are written to STATS_PATH.
"""

import heapq
import io
import json
import os
import smtplib
import socket
import subprocess
import sys
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workday  # noqa: E402  (placed beside this file in the container)

CONFIG_PATH = "/etc/cyder/staff.json"
CLOCK_PATH = "/run/cyder/staff-clock.json"
STATS_PATH = "/run/cyder/staff-stats.json"
LOG_PATH = "/var/log/cyder-staff.log"
TIMEOUT = 10
LATE_LIMIT = 120.0   # office seconds: actions further behind are skipped (the clock jumped)
MAX_PENDING = 400    # actions waiting for a worker; beyond this they are dropped and counted

_source = threading.local()
_BaseSocket = socket.socket


class SourceBoundSocket(_BaseSocket):
    """A socket that connects from the current thread's PC address, whatever library opens it."""

    def connect(self, address):
        source = getattr(_source, "address", None)
        if source and self.family == socket.AF_INET and self.getsockname()[1] == 0:
            self.bind((source, 0))
        return super().connect(address)


socket.socket = SourceBoundSocket

SUBJECTS = ["会議資料の送付について", "打合せ日程のご相談", "【回覧】研修のご案内", "予算資料の確認依頼",
            "議事録の共有", "窓口対応の引継ぎ", "来週の予定について", "ご確認のお願い", "【至急】照会への回答",
            "庁内報の原稿", "システム更新のお知らせ", "出張報告"]
BODIES = ["お疲れさまです。\n資料を共有しますのでご確認ください。", "お疲れさまです。\n日程について調整をお願いします。",
          "ご確認のほどよろしくお願いいたします。", "先日の件、対応しましたのでご報告します。"]
AGENTS = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
          "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"]


class Clock:
    """Office time from the clock file: office seconds at a wall moment, a speed, and a pause."""

    def __init__(self, start_office):
        self.state = {"office": start_office, "wall": time.time(), "speed": 1.0, "paused": False}
        self.seen = None
        try:
            self.reload()
        except OSError:
            self.save()

    def save(self):
        """Write the clock file (atomically), e.g. on first start."""
        os.makedirs(os.path.dirname(CLOCK_PATH), exist_ok=True)
        with open(CLOCK_PATH + ".tmp", "w", encoding="utf-8") as fh:
            json.dump(self.state, fh)
        os.replace(CLOCK_PATH + ".tmp", CLOCK_PATH)
        with open(CLOCK_PATH, encoding="utf-8") as fh:
            self.seen = fh.read()

    def reload(self):
        """Read the clock file again; True when the engine changed it (compared by content:
        a file copied into a container keeps a whole-second modification time)."""
        with open(CLOCK_PATH, encoding="utf-8") as fh:
            text = fh.read()
        if text == self.seen:
            return False
        try:
            state = json.loads(text)
        except ValueError:
            return False  # caught halfway through a write: read it next time
        first = self.seen is None
        self.seen = text
        self.state.update(state)
        return not first

    def now(self):
        """The current office time in seconds since midnight of day 0."""
        if self.state["paused"]:
            return self.state["office"]
        return self.state["office"] + (time.time() - self.state["wall"]) * self.state["speed"]


class Office:
    """Carries out the actions of this container's PCs."""

    def __init__(self, config):
        self.config = config
        self.seed = config["seed"]
        self.colleagues = config["colleagues"]
        self.counts = {"done": {}, "failed": {}, "skipped": 0, "dropped": 0}
        self.lock = threading.Lock()
        self.errors_logged = 0

    def run(self, pc, kind, moment):
        """Do one action as one PC, counting the outcome."""
        _source.address = pc["address"]
        chooser = workday.detail_chooser(self.seed, pc["pc"], moment, kind)
        try:
            getattr(self, "do_" + kind)(pc, chooser)
            outcome = "done"
        except Exception as exc:  # noqa: BLE001 - one failed action must not stop the office
            outcome = "failed"
            self.log_error(pc, kind, exc)
        finally:
            _source.address = None
        with self.lock:
            bucket = self.counts[outcome]
            bucket[kind] = bucket.get(kind, 0) + 1

    def log_error(self, pc, kind, exc):
        """Keep a bounded record of failures for whoever investigates."""
        if self.errors_logged < 500:
            self.errors_logged += 1
            with open(LOG_PATH, "a", encoding="utf-8") as fh:
                fh.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {pc['pc']} {kind}: {exc!r}\n")
                if self.errors_logged <= 5:
                    fh.write(traceback.format_exc())

    def resolve(self, pc, name):
        """Look a name up at the organisation's DNS server from the PC's address."""
        import dns.message
        import dns.query
        import dns.rdatatype

        query = dns.message.make_query(name, dns.rdatatype.A)
        answer = dns.query.udp(query, self.config["dns"], timeout=3, source=pc["address"])
        for rrset in answer.answer:
            for item in rrset:
                if item.rdtype == dns.rdatatype.A:
                    return item.address
        return None

    def do_lookup(self, pc, chooser):
        """A background lookup, as Windows PCs make all day (some names do not exist)."""
        self.resolve(pc, chooser.choice(self.config["lookups"]))

    def do_browse(self, pc, chooser):
        """Open a page: the organisation's sites directly, the others through the proxy."""
        import http.client

        sites = self.config["sites"]
        site = chooser.choices(sites, weights=[s["weight"] for s in sites])[0]
        path = chooser.choice(site["paths"]) if chooser.random() > 0.05 else "/favicon.ico"
        headers = {"User-Agent": AGENTS[sum(map(ord, pc["pc"])) % len(AGENTS)], "Accept": "text/html",
                   "Accept-Language": "ja,en;q=0.8", "Host": site["domain"]}
        if site["internal"]:
            address = self.resolve(pc, site["domain"])
            conn = http.client.HTTPConnection(address, 80, timeout=TIMEOUT)
            target = path
        else:
            if chooser.random() < 0.3:
                self.resolve(pc, site["domain"])  # browsers prefetch names even behind a proxy
            host, port = self.config["proxy"]
            conn = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
            target = f"http://{site['domain']}{path}"
        try:
            conn.request("GET", target, headers=headers)
            conn.getresponse().read()
        finally:
            conn.close()

    def do_mail_send(self, pc, chooser):
        """Send a mail to one to three colleagues, mostly of the same department."""
        same = [c for c in self.colleagues if c["department"] == pc["department"] and c["user"] != pc["user"]]
        pool = same if same and chooser.random() < 0.7 else self.colleagues
        recipients = {c["user"] for c in chooser.sample(pool, min(len(pool), chooser.randint(1, 3)))}
        domain = self.config["domain"]
        message = EmailMessage()
        message["From"] = f"{pc['name']} <{pc['user']}@{domain}>"
        message["To"] = ", ".join(f"{r}@{domain}" for r in sorted(recipients))
        message["Subject"] = chooser.choice(SUBJECTS)
        message["Date"] = formatdate(localtime=True)
        message["Message-ID"] = make_msgid(domain=pc["fqdn"])
        message.set_content(chooser.choice(BODIES) + f"\n\n{pc['name']}\n")
        with smtplib.SMTP(self.config["mail"], 25, local_hostname=pc["fqdn"], timeout=TIMEOUT) as smtp:
            smtp.send_message(message)

    def do_mail_read(self, pc, chooser):
        """Check the mailbox: log in over IMAP, read the headers of new mail, mark it read."""
        import imaplib

        imap = imaplib.IMAP4(self.config["imap"], 143, timeout=TIMEOUT)
        try:
            imap.login(pc["user"], pc["password"])
            imap.select("INBOX")
            _, found = imap.search(None, "UNSEEN")
            for number in found[0].split()[:5]:
                imap.fetch(number, "(BODY[HEADER.FIELDS (FROM SUBJECT DATE)])")
                imap.store(number, "+FLAGS", "\\Seen")
            imap.logout()
        finally:
            try:
                imap.shutdown()
            except OSError:
                pass

    def do_file(self, pc, chooser):
        """Visit the file server: list a share, open a file, now and then save a new one."""
        from impacket.smbconnection import SMBConnection

        server = self.config["file_server"]
        share = pc.get("share") or server["common"]
        if chooser.random() < 0.3:
            share = server["common"]
        conn = SMBConnection(server["name"].upper(), server["address"], myName=pc["pc"].upper()[:15],
                             timeout=TIMEOUT)
        try:
            conn.login(pc["user"], pc["password"], server["workgroup"])
            files = [f.get_longname() for f in conn.listPath(share, "*")
                     if not f.is_directory() and not f.get_longname().startswith(".")]
            if files:
                conn.getFile(share, chooser.choice(files), io.BytesIO().write)
            if chooser.random() < 0.15:
                name = f"{time.strftime('%Y%m%d')}_{pc['user']}_{chooser.randrange(1000):03d}.txt"
                conn.putFile(share, name, io.BytesIO(f"{pc['name']} のメモ\n".encode()).read)
            conn.logoff()
        finally:
            conn.close()

    def do_login(self, pc, chooser):
        """An IT member of staff logs in to a server over SSH (now and then mistyping the password)."""
        target = chooser.choice(self.config["logins"])
        attempts = [target["password"] + "x", target["password"]] if chooser.random() < 0.05 else [target["password"]]
        for password in attempts:
            subprocess.run(
                ["sshpass", "-p", password, "ssh", "-b", pc["address"], "-o", "StrictHostKeyChecking=no",
                 "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR",
                 "-o", "PubkeyAuthentication=no", f"{target['user']}@{target['address']}", "uptime"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)

    def write_stats(self, clock, pending):
        """Write what was done so far, for `cyder staff status` and the benchmarks."""
        with self.lock:
            stats = {**self.counts, "pending": pending, "office": clock.now(), "speed": clock.state["speed"],
                     "paused": clock.state["paused"], "pcs": len(self.config["pcs"]), "wall": time.time()}
        with open(STATS_PATH + ".tmp", "w", encoding="utf-8") as fh:
            json.dump(stats, fh)
        os.replace(STATS_PATH + ".tmp", STATS_PATH)


def wait_for_services(config, timeout=300):
    """Wait until the servers the staff use answer, so the range boots without their traffic and
    the first actions do not fail for servers still starting."""
    ports = [(config["proxy"][0], config["proxy"][1])] if config.get("proxy") else []
    ports += [(config["mail"], 25)] if config.get("mail") else []
    ports += [(config["imap"], 143)] if config.get("imap") else []
    ports += [(config["file_server"]["address"], 445)] if config.get("file_server") else []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            for address in ports:
                socket.create_connection(address, timeout=1).close()
            return True
        except OSError:
            time.sleep(0.5)
    return False


def main():
    """Run the office day (and the next ones) until the container stops."""
    with open(CONFIG_PATH, encoding="utf-8") as fh:
        config = json.load(fh)
    wait_for_services(config)
    office = Office(config)
    clock = Clock(workday.seconds(config["clock"]))
    profile = config["profile"]
    pcs = config["pcs"]
    queue = []
    planned_day = -1
    pending = [0]
    workers = ThreadPoolExecutor(max_workers=config.get("workers", 32))

    def finished(_):
        with office.lock:
            pending[0] -= 1

    def plan_from(moment):
        """Queue the actions of the day containing `moment` that are still ahead of it."""
        nonlocal planned_day, queue
        day = int(moment // workday.DAY)
        queue = [(t, i, kind) for i, pc in enumerate(pcs)
                 for t, kind in workday.day_plan(config["seed"], pc["pc"], profile, pc["admin"], day) if t >= moment]
        heapq.heapify(queue)
        planned_day = day

    plan_from(clock.now())
    last_stats = 0.0
    while True:
        if os.path.exists(CLOCK_PATH) and clock.reload():
            plan_from(clock.now())  # the engine moved the clock: start again from the new time
        now = clock.now()
        if int(now // workday.DAY) != planned_day:
            plan_from(now)
        while queue and queue[0][0] <= now:
            moment, index, kind = heapq.heappop(queue)
            if now - moment > LATE_LIMIT:
                office.counts["skipped"] += 1
                continue
            if pending[0] >= MAX_PENDING:
                office.counts["dropped"] += 1
                continue
            with office.lock:
                pending[0] += 1
            workers.submit(office.run, pcs[index], kind, moment).add_done_callback(finished)
        if time.monotonic() - last_stats > 2:
            office.write_stats(clock, pending[0])
            last_stats = time.monotonic()
        wait = 0.5
        if queue and not clock.state["paused"]:
            wait = min(wait, max(0.01, (queue[0][0] - now) / max(clock.state["speed"], 1e-6)))
        time.sleep(wait)


if __name__ == "__main__":
    main()
