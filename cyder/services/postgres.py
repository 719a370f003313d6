"""The `postgres` service: a PostgreSQL server with one application database and its tables.

The database, its owner and the tables with their rows are created when the server starts;
PostgreSQL logs every connection and statement to syslog (the `postgres` tag).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import ClassVar, Literal

from pydantic import Field, StrictInt

from ..model.range import SERVICES, AddProblem, Host, Password, Ports, RangeIndex, SqlName, Strict
from ..model.yamlsource import PathKey
from .base import LogParser, Parsed, Service
from .context import HostPlan, RangeContext, ServicePlan

PG_STATEMENT = re.compile(r"LOG:\s+statement: (?P<statement>.*)$")
PG_CONNECTION = re.compile(r"LOG:\s+connection authorized: user=(?P<user>\S+) database=(?P<database>\S+)")


def parse_log(message: str) -> Parsed | None:
    """A statement, or an authorised connection with its user and database."""
    if m := PG_STATEMENT.search(message):
        return ("db-query", {"statement": m["statement"]})
    if m := PG_CONNECTION.search(message):
        return ("db-connect", {"user": m["user"], "database": m["database"]})
    return None


class Table(Strict):
    """A database table with its rows, created when the database starts."""

    name: SqlName
    columns: list[SqlName] = Field(min_length=1)
    rows: list[list[str | StrictInt]] = []


@SERVICES.register
class PostgresService(Service):
    """A PostgreSQL server with one application database."""

    kind: Literal["postgres"] = "postgres"
    database: SqlName = "app"
    user: SqlName = "app"
    password: Password = "app"
    tables: list[Table] = []

    order: ClassVar[int] = 80
    ports: ClassVar[Ports] = (("tcp", 5432),)
    daemon: ClassVar[str] = "PostgreSQL 15"
    evidence: ClassVar[str] = "every statement (syslog)"
    boot_weight: ClassVar[int] = 0
    log_parsers: ClassVar[dict[str, tuple[LogParser, ...]]] = {"postgres": (parse_log,)}

    def check_range(self, host: Host, where: PathKey, index: RangeIndex, add: AddProblem) -> None:
        """Table names and columns are unique, and every row has a value for each column."""
        names = Counter(t.name for t in self.tables)
        for t, table in enumerate(self.tables):
            at = (*where, "tables", t)
            if names[table.name] > 1:
                add((*at, "name"), f"table {table.name!r} is declared twice")
            for column, n in Counter(table.columns).items():
                if n > 1:
                    add((*at, "columns", table.columns.index(column)), f"column {column!r} is listed twice")
            for w, row in enumerate(table.rows):
                if len(row) != len(table.columns):
                    add((*at, "rows", w), f"the row has {len(row)} values; the table has {len(table.columns)} columns")

    def plan(self, ctx: RangeContext, host: Host, plan: HostPlan) -> None:
        """The server's configuration and the SQL that creates the database, tables and rows."""
        conf_dir = "/etc/postgresql/15/main"
        plan.add_file(f"{conf_dir}/conf.d/cyder.conf", (
            "listen_addresses = '*'\nlog_destination = 'syslog'\nsyslog_ident = 'postgres'\n"
            "log_connections = on\nlog_disconnections = on\nlog_statement = 'all'\n"
            "fsync = off\nsynchronous_commit = off\nshared_buffers = 16MB\n"))
        plan.add_file(f"{conf_dir}/pg_hba.conf", (
            "local all postgres peer\nlocal all all md5\nhost all all 127.0.0.1/32 md5\n"
            "host all all 0.0.0.0/0 md5\n"), owner="postgres", mode="0640")
        sql = [f"CREATE ROLE {self.user} LOGIN PASSWORD '{self.password.replace(chr(39), chr(39) * 2)}';",
               f"CREATE DATABASE {self.database} OWNER {self.user} ENCODING 'UTF8' TEMPLATE template0;",
               f"\\connect {self.database}"]
        for table in self.tables:
            sql.append(f"CREATE TABLE {table.name} ({', '.join(f'{c} text' for c in table.columns)});")
            for row in table.rows:
                values = ", ".join("'" + str(v).replace("'", "''") + "'" for v in row)
                sql.append(f"INSERT INTO {table.name} VALUES ({values});")
            sql.append(f"ALTER TABLE {table.name} OWNER TO {self.user};")
        plan.add_file("/etc/cyder/db-init.sql", "\n".join(sql) + "\n", owner="postgres", mode="0600")
        plan.services.append(ServicePlan(
            "postgres",
            ["chown -R postgres:postgres /etc/postgresql", "pg_ctlcluster 15 main start",
             "su postgres -c 'psql -q -v ON_ERROR_STOP=1 -f /etc/cyder/db-init.sql' >/dev/null"],
            "su postgres -c \"psql -tAc 'select 1'\" >/dev/null 2>&1"))
