"""The `app` service: cyder's small web application, listing a table of a PostgreSQL database.

The application (cyder/agent/webapp.py) runs on its host and reads the database of the postgres
service on the host named in `database`; it logs every request to syslog (the `webapp` tag).
"""

from __future__ import annotations

import re
from importlib import resources
from typing import ClassVar, Literal

from pydantic import Field

from ..model.range import SERVICES, AddProblem, Host, Name, Port, Ports, RangeIndex, Text, english, japanese
from ..model.yamlsource import PathKey
from .base import LogParser, Parsed, Service
from .context import HostPlan, RangeContext, ServicePlan
from .postgres import PostgresService

WEBAPP = re.compile(r'^(?P<client>[\d.]+) "(?P<method>\S+) (?P<path>\S+)[^"]*" (?P<status>\d{3})')


def parse_request(message: str) -> Parsed | None:
    """A request the application logged: client, method, path and status."""
    m = WEBAPP.match(message)
    return ("web-access", {"client": m["client"], "method": m["method"], "path": m["path"],
                           "status": int(m["status"])}) if m else None


@SERVICES.register
class AppService(Service):
    """A small web application that reads its data from a PostgreSQL service on another host."""

    kind: Literal["app"] = "app"
    title: Text | None = None
    database: Name = Field(description="host offering the postgres service")
    table: str | None = Field(None, description="table the app lists; default: the database's first table")
    port: Port = 8080

    order: ClassVar[int] = 90
    ports: ClassVar[Ports] = (("tcp", 8080),)
    daemon: ClassVar[str] = "cyder's small web app on PostgreSQL"
    evidence: ClassVar[str] = "access log (syslog)"
    option_notes: ClassVar[dict[str, str]] = {"database": "host"}
    boot_weight: ClassVar[int] = 1
    log_parsers: ClassVar[dict[str, tuple[LogParser, ...]]] = {"webapp": (parse_request,)}

    def listens_on(self) -> Ports:
        """Its own `port:` replaces the default."""
        return (("tcp", self.port),)

    def check_range(self, host: Host, where: PathKey, index: RangeIndex, add: AddProblem) -> None:
        """The database's host offers the postgres service."""
        index.check_service_ref((*where, "database"), self.database, PostgresService, add)

    def plan(self, ctx: RangeContext, host: Host, plan: HostPlan) -> None:
        """The application, and its settings with the database's address and account."""
        db_host = ctx.host(self.database)
        db = db_host.service(PostgresService)
        if db is None:
            raise KeyError(f"host {db_host.name!r} offers no postgres service")
        table = self.table or (db.tables[0].name if db.tables else "")
        source = resources.files("cyder.agent").joinpath("webapp.py").read_text(encoding="utf-8")
        plan.add_file("/opt/cyder/webapp.py", source, mode="0755")
        plan.add_file("/etc/cyder/webapp.env", (
            f"APP_TITLE={japanese(self.title, 'Application')} / {english(self.title, 'Application')}\n"
            f"APP_PORT={self.port}\nDB_HOST={db_host.address_seen_from(host)}\nDB_NAME={db.database}\n"
            f"DB_USER={db.user}\nDB_PASSWORD={db.password}\nDB_TABLE={table}\n"), mode="0600")
        plan.services.append(ServicePlan(
            "app",
            ["setsid python3 /opt/cyder/webapp.py /etc/cyder/webapp.env >/dev/null 2>&1 < /dev/null &"],
            "test \"$(curl -s -o /dev/null -w '%{http_code}' --noproxy '*' -m 2 "
            f"http://127.0.0.1:{self.port}/health)\" = 200"))
