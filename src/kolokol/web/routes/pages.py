"""HTML pages, rendered on the server with autoescaping; each has a JSON twin in routes/api.py.
Each declares who may open it (web/access.py) and shows only the incidents its user may see."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from kolokol.domain import IncidentType
from kolokol.search import STATUSES, dashboard, incident_detail, report_detail, search_incidents
from kolokol.security.publishing import set_visibility
from kolokol.security.roles import Permission, UserInfo
from kolokol.web.access import Browser, require
from kolokol.web.routes.api import audit_read
from kolokol.web.routes.filters import Filters, url

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    html = request.app.state.templates.get_template(name).render(request=request, **context)
    return HTMLResponse(html, status_code=status_code)


@router.get("/")
def page_dashboard(request: Request, user: Browser) -> HTMLResponse:
    return render(request, "dashboard.html", {"data": dashboard(request.app.state.db, user=user), "api": "/api/"})


@router.get("/incidents")
def page_incidents(request: Request, query: Filters, user: Browser) -> HTMLResponse:
    from kolokol.analytics import map_data
    from kolokol.web.routes.charts import map_context

    db = request.app.state.db
    result = search_incidents(db, query, user=user)

    def link(**changes: Any) -> str:
        return url("/incidents", query, **{"page": 1, **changes})

    def chart_link(path: str) -> str:
        return url(path, query, page=1, view="table")

    context: dict[str, Any] = {"result": result, "query": query, "link": link, "chart_link": chart_link,
                               "api": url("/api/incidents", query), "labels": result.labels,
                               "types": [t.value for t in IncidentType], "statuses": STATUSES}
    if query.view == "map":
        data = map_data(db, query, user=user)
        context.update(map_context(request, data), map_data=data)
    return render(request, "incidents.html", context)


@router.get("/incidents/{incident_id}")
def page_incident(request: Request, incident_id: int, user: Browser) -> HTMLResponse:
    data = incident_detail(request.app.state.db, incident_id, user=user)
    audit_read(request, user, "incident", data)
    return render(request, "incident.html", {"inc": data, "api": f"/api/incidents/{incident_id}"})


@router.get("/reports/{report_id}")
def page_report(request: Request, report_id: int,
                user: UserInfo = Depends(require(Permission.READ_REPORTS))) -> HTMLResponse:
    data = report_detail(request.app.state.db, report_id, user=user)
    audit_read(request, user, "report", data)
    return render(request, "report.html", {"report": data, "api": f"/api/reports/{report_id}"})


@router.post("/incidents/{incident_id}/visibility")
def page_visibility(request: Request, incident_id: int, visibility: str = Form(..., max_length=20),
                    user: UserInfo = Depends(require(Permission.RESTRICT))) -> RedirectResponse:
    """Publish (admins, reviewed incidents only) or make less visible (analysts); back to the incident."""
    set_visibility(request.app.state.db, incident_id, visibility, user=user)
    return RedirectResponse(f"/incidents/{incident_id}", status_code=303)

