"""The dashboard: a period's figures with their charts and tables, each table also as CSV.

Admins see the team's figures and a line per agent; an agent sees their own tickets, chats
and customers' answers (and the knowledge base's figures, which are nobody's).
"""

from __future__ import annotations

from typing import Any

from flask import Response, render_template, request

from intake.desk import auth
from intake.desk.blueprint import bp
from intake.errors import InvalidInput, NotFound
from intake.models import utcnow
from intake.reports.charts import Chart, bar_chart
from intake.reports.figures import Scope, dashboard
from intake.reports.period import PRESETS, period_from
from intake.reports.tables import Table
from intake.settings import TenantSettings
from intake.tickets.calendar import parse_zone
from intake.web.tenancy import tenant, tenant_session

# Which columns of which figures are drawn (short labels: the days' MM-DD).
CHARTS = {
    "daily": (("created", "resolved"), True),
    "open": (("total",), False),
    "satisfaction": (("customers",), False),
}
ARGS = ("from", "to", "days")


def _scope(args: dict[str, str]) -> Scope:
    """Return the period the arguments ask for (InvalidInput naming a bad one), and whose."""
    zone = parse_zone(str(TenantSettings(tenant_session()).get("time_zone")))
    period = period_from(args, zone, utcnow().astimezone(zone).date())
    return Scope(period, None if auth.is_admin() else auth.agent().id)


def _asked() -> dict[str, str]:
    return {key: request.args.get(key, "")[:20] for key in ARGS}


@bp.route("/dashboard", methods=["GET"])
def dashboard_page() -> Any:
    """Show the period's figures: charts, and beside each its numbers and a CSV link."""
    problem, status = "", 200
    try:
        scope = _scope(_asked())
    except InvalidInput as exc:  # say what is wrong, and show the default period
        problem, status = exc.message, 400
        scope = _scope({})
    tables = dashboard(tenant_session(), scope)
    charts: dict[str, Chart] = {
        key: bar_chart(tables[key], columns, short) for key, (columns, short) in CHARTS.items()
    }
    chat_days = Table("chat_days", "Chats per day", ("day", "chats"),
                      [(row[0], row[3]) for row in tables["daily"].rows])  # fmt: skip
    charts["chat_days"] = bar_chart(chat_days, ("chats",), True)
    return render_template(
        "desk/dashboard.html", tables=tables, charts=charts, period=scope.period, presets=PRESETS,
        own=scope.agent_id is not None, problem=problem, query=request.query_string.decode(),
    ), status  # fmt: skip


@bp.route("/dashboard/<key>.csv", methods=["GET"])
def dashboard_csv(key: str) -> Response:
    """Send one figure's table as CSV, for the same period and scope as the page."""
    scope = _scope(_asked())
    table = dashboard(tenant_session(), scope).get(key)
    if table is None:
        raise NotFound()
    period = scope.period
    name = f"{tenant().id}-{key}-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    # UTF-8 with its byte-order mark: Excel reads a CSV without one in the system's code page,
    # and "über" would come out garbled.
    return Response(table.csv().encode("utf-8-sig"), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip
