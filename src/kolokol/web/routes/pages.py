"""HTML pages, rendered on the server with autoescaping; each has a JSON twin in routes/api.py."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from kolokol.domain import IncidentType
from kolokol.search import STATUSES, dashboard, incident_detail, report_detail, search_incidents
from kolokol.web.routes.api import search_query

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    html = request.app.state.templates.get_template(name).render(request=request, **context)
    return HTMLResponse(html, status_code=status_code)


@router.get("/")
def page_dashboard(request: Request) -> HTMLResponse:
    return render(request, "dashboard.html", {"data": dashboard(request.app.state.db), "api": "/api/"})


@router.get("/incidents")
def page_incidents(request: Request, q: str | None = None, type: str | None = None, country: str | None = None,
                   status: str | None = None, since: str | None = None, until: str | None = None,
                   min_sources: str | None = None, page: str | None = None) -> HTMLResponse:
    query = search_query(q, type, country, status, since, until, min_sources, page)
    result = search_incidents(request.app.state.db, query)

    def link(**changes: Any) -> str:
        params = query.params(**{"page": 1, **changes})
        return "/incidents" + ("?" + urlencode(params) if params else "")

    api = "/api/incidents" + ("?" + urlencode(query.params()) if query.params() else "")
    return render(request, "incidents.html", {"result": result, "query": query, "link": link, "api": api,
                                              "types": [t.value for t in IncidentType], "statuses": STATUSES})


@router.get("/incidents/{incident_id}")
def page_incident(request: Request, incident_id: int) -> HTMLResponse:
    data = incident_detail(request.app.state.db, incident_id)
    return render(request, "incident.html", {"inc": data, "api": f"/api/incidents/{incident_id}"})


@router.get("/reports/{report_id}")
def page_report(request: Request, report_id: int) -> HTMLResponse:
    data = report_detail(request.app.state.db, report_id)
    return render(request, "report.html", {"report": data, "api": f"/api/reports/{report_id}"})
