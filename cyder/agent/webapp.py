#!/usr/bin/python3
"""A small business application for range app servers (for example the resident registry).

Runs inside a range container on the image's python3 with psycopg2: lists one table of its
PostgreSQL database as HTML, answers /health only when the database answers, and writes an
access log line per request to syslog so requests leave evidence like any real application.
"""

import html
import logging
import logging.handlers
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg2


def read_env(path):
    """Read KEY=VALUE lines."""
    with open(path, encoding="utf-8") as fh:
        return dict(line.rstrip("\n").split("=", 1) for line in fh if "=" in line)


CONFIG = read_env(sys.argv[1])
LOG = logging.getLogger("webapp")
HANDLER = logging.handlers.SysLogHandler(address="/dev/log", facility="local7")
HANDLER.ident = "webapp: "
LOG.addHandler(HANDLER)
LOG.setLevel(logging.INFO)


def query(sql):
    """Run one query on the application database and return its rows."""
    conn = psycopg2.connect(host=CONFIG["DB_HOST"], dbname=CONFIG["DB_NAME"], user=CONFIG["DB_USER"],
                            password=CONFIG["DB_PASSWORD"], connect_timeout=2)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return [d[0] for d in cur.description], cur.fetchall()
    finally:
        conn.close()


class Handler(BaseHTTPRequestHandler):
    """GET / lists the table; GET /health checks the database."""

    def do_GET(self):  # noqa: N802 - the name http.server expects
        try:
            if self.path == "/health":
                query("SELECT 1")
                self.reply(200, "ok\n", "text/plain")
            elif self.path == "/":
                table = CONFIG.get("DB_TABLE") or "information_schema.tables"
                columns, rows = query(f"SELECT * FROM {table} LIMIT 200")
                head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
                body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
                               for row in rows)
                title = html.escape(CONFIG.get("APP_TITLE", "Application"))
                self.reply(200, f'<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>{title}'
                                f"</title></head><body><h1>{title}</h1><table><tr>{head}</tr>{body}</table>"
                                "</body></html>\n", "text/html; charset=utf-8")
            else:
                self.reply(404, "not found\n", "text/plain")
        except psycopg2.Error as exc:
            self.reply(503, f"database unavailable: {exc}\n", "text/plain")

    def reply(self, status, text, content_type):
        """Send a complete response."""
        data = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        LOG.info("%s %s", self.client_address[0], fmt % args)


if __name__ == "__main__":
    ThreadingHTTPServer(("0.0.0.0", int(CONFIG.get("APP_PORT", "8080"))), Handler).serve_forever()
