"""The `http` service: an nginx web server with a home page and the range's extra pages.

nginx logs every request to a file and to syslog (the `nginx` tag) in the combined format. Its
availability probe fetches the home page, as the organisation's users would.
"""

from __future__ import annotations

import re
from typing import ClassVar, Literal

from pydantic import Field

from ..model.range import SERVICES, Host, PageName, Ports, Text, english, japanese
from .base import LogParser, Parsed, Service
from .context import HostPlan, RangeContext, ServicePlan

COMBINED = re.compile(r'^(?P<client>[\d.]+) \S+ (?P<user>\S+) \[[^\]]+\] "(?P<method>\S+) (?P<path>\S+)[^"]*" '
                      r'(?P<status>\d{3}) (?P<bytes>\d+|-) "[^"]*" "(?P<agent>[^"]*)"')


def parse_access(message: str) -> Parsed | None:
    """A request in the combined log format: client, method, path, status and user agent."""
    m = COMBINED.match(message)
    if not m:
        return None
    return ("web-access", {"client": m["client"], "method": m["method"], "path": m["path"],
                           "status": int(m["status"]), "agent": m["agent"]})


@SERVICES.register
class HttpService(Service):
    """An nginx web server with a home page and optional extra pages."""

    kind: Literal["http"] = "http"
    title: Text | None = None
    pages: dict[PageName, str] = Field({}, description="path under the web root -> content")

    order: ClassVar[int] = 40
    ports: ClassVar[Ports] = (("tcp", 80),)
    daemon: ClassVar[str] = "nginx"
    evidence: ClassVar[str] = "access log (file and syslog)"
    log_parsers: ClassVar[dict[str, tuple[LogParser, ...]]] = {"nginx": (parse_access,)}

    def plan(self, ctx: RangeContext, host: Host, plan: HostPlan) -> None:
        """The pages under /var/www/<host> and the site's configuration."""
        title_ja, title_en = japanese(self.title, ctx.fqdn(host)), english(self.title, ctx.fqdn(host))
        root = f"/var/www/{host.name}"
        plan.add_file(f"{root}/index.html", (
            f'<!doctype html>\n<html lang="ja"><head><meta charset="utf-8"><title>{title_ja}</title></head>\n'
            f"<body><h1>{title_ja}</h1><p>{title_en}</p></body></html>\n"))
        for path, content in self.pages.items():
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

    @classmethod
    def probe_command(cls, address: str, port: int) -> str:
        """The home page answers with a 2xx or 3xx status (fetched without the proxy)."""
        return (f"curl -s -m 4 --noproxy '*' -o /dev/null -w '%{{http_code}}' http://{address}:{port}/ "
                "| grep -q '^[23]'")
