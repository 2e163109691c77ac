"""The public record: published incidents in their public form (kolokol.export.public), for anyone.

/public and /public/incidents/{id} are pages; /api/public/incidents and /api/public/incidents/{id}
their JSON twins. Nothing here reads a field outside the public projection: no names but public
figures', no evidence, no confidential source, dates and places as coarse as the defaults of
`PublicOptions`. There is no full-text search: words typed here could only be matched against what
the record withholds, and the answer would tell whether a name is in the database. Filters compare
public (coarsened) values only.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from kolokol.domain import IncidentType
from kolokol.errors import NotFound
from kolokol.export.public import PublicFilter, PublicOptions, public_record, public_records
from kolokol.web.access import PublicRecords

PAGE_SIZE = 50

api_router = APIRouter(prefix="/api/public", tags=["public"])
pages_router = APIRouter(prefix="/public", include_in_schema=False, default_response_class=HTMLResponse)


def _page_number(page: str | None) -> int:
    try:
        number = int(page) if page not in (None, "") else 1  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = 1
    return max(1, min(number, 100_000))


def public_list(request: Request, *, type: str | None, country: str | None, since: str | None,
                until: str | None, page: str | None) -> dict[str, Any]:
    """One page of the public list and the filter state (raises ExportError for bad filters)."""
    filters = PublicFilter.parse(type=type, country=country, since=since, until=until)
    records = public_records(request.app.state.db, PublicOptions(), filters)
    pages = max(1, math.ceil(len(records) / PAGE_SIZE))
    number = min(_page_number(page), pages)
    return {"query": filters.params(), "total": len(records), "page": number, "pages": pages,
            "incidents": records[(number - 1) * PAGE_SIZE:number * PAGE_SIZE]}


def _one(request: Request, incident_id: str) -> dict[str, Any]:
    record = public_record(request.app.state.db, incident_id, PublicOptions())
    if record is None:
        raise NotFound("no published incident with this id", hint="see /public for the list")
    return record


@api_router.get("/incidents", summary="Published incidents in their public form (pseudonymised; dates to the "
                "month); filters compare public values")
def api_public_incidents(
    request: Request,
    user: PublicRecords,
    type: str | None = Query(None, max_length=40, description="Incident type, e.g. detention"),
    country: str | None = Query(None, max_length=10, description="ISO 3166-1 alpha-2 country of the incident"),
    since: str | None = Query(None, max_length=20, description="On or after YYYY[-MM[-DD]] (at the record's "
                              "precision)"),
    until: str | None = Query(None, max_length=20, description="On or before YYYY[-MM[-DD]]"),
    page: str | None = Query(None, max_length=10, description="Page number, from 1"),
) -> dict[str, Any]:
    return public_list(request, type=type, country=country, since=since, until=until, page=page)


@api_router.get("/incidents/{incident_id}", summary="One published incident in its public form")
def api_public_incident(request: Request, incident_id: str, user: PublicRecords) -> dict[str, Any]:
    return _one(request, incident_id)


def _render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    html = request.app.state.templates.get_template(name).render(request=request, **context)
    return HTMLResponse(html, status_code=status_code)


@pages_router.get("")
def page_public_incidents(request: Request, user: PublicRecords, type: str | None = None, country: str | None = None,
                          since: str | None = None, until: str | None = None,
                          page: str | None = None) -> HTMLResponse:
    data = public_list(request, type=type, country=country, since=since, until=until, page=page)

    def link(**changes: Any) -> str:
        params = {**data["query"], **{k: str(v) for k, v in changes.items() if v not in (None, "")}}
        if params.get("page") == "1":
            params.pop("page")
        return "/public" + ("?" + urlencode(params) if params else "")

    api = "/api/public/incidents" + ("?" + urlencode(data["query"]) if data["query"] else "")
    return _render(request, "public_incidents.html", {"data": data, "link": link, "api": api,
                                                      "types": [t.value for t in IncidentType],
                                                      "min_group": PublicOptions().min_group})


@pages_router.get("/incidents/{incident_id}")
def page_public_incident(request: Request, incident_id: str, user: PublicRecords) -> HTMLResponse:
    record = _one(request, incident_id)
    return _render(request, "public_incident.html", {"inc": record, "api": f"/api/public/incidents/{incident_id}",
                                                     "min_group": PublicOptions().min_group})


router = APIRouter()  # what web/app.py includes: the pages and their JSON twins
router.include_router(api_router)
router.include_router(pages_router)
