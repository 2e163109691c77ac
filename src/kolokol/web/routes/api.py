"""The JSON API: one route per page, same data, documented in /openapi.json."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request

from kolokol.search import SearchQuery, dashboard, incident_detail, report_detail, search_incidents

router = APIRouter(prefix="/api", tags=["api"])


def search_query(q: str | None = None, type: str | None = None, country: str | None = None,
                 status: str | None = None, since: str | None = None, until: str | None = None,
                 min_sources: str | None = None, page: str | None = None) -> SearchQuery:
    return SearchQuery.parse(q=q, type=type, country=country, status=status, since=since, until=until,
                             min_sources=min_sources, page=page)


@router.get("/", summary="Dashboard: counts by type, country and review status; the latest incidents")
def api_dashboard(request: Request) -> dict[str, Any]:
    return dashboard(request.app.state.db)


@router.get("/incidents", summary="Search merged incidents: facets and full text (filter state as in /incidents)")
def api_incidents(
    request: Request,
    q: str | None = Query(None, description="Full-text words (all must match, each as a prefix)"),
    type: str | None = Query(None, description="Incident type, e.g. detention"),
    country: str | None = Query(None, description="ISO 3166-1 alpha-2 country of the incident"),
    status: str | None = Query(None, description="Review status: new, accepted, edited, rejected, merged, split"),
    since: str | None = Query(None, description="On or after YYYY[-MM[-DD]]"),
    until: str | None = Query(None, description="On or before YYYY[-MM[-DD]] (the whole month or year)"),
    min_sources: str | None = Query(None, description="At least this many independent sources"),
    page: str | None = Query(None, description="Page number, from 1"),
) -> dict[str, Any]:
    query = search_query(q, type, country, status, since, until, min_sources, page)
    return search_incidents(request.app.state.db, query).to_dict()


@router.get("/incidents/{incident_id}", summary="One merged incident: fields, conflicting values, sources, "
            "report-level incidents with evidence spans (offsets into the report text)")
def api_incident(request: Request, incident_id: int) -> dict[str, Any]:
    return incident_detail(request.app.state.db, incident_id, with_text=False)


@router.get("/reports/{report_id}", summary="One report: metadata, clean text and its evidence spans")
def api_report(request: Request, report_id: int) -> dict[str, Any]:
    return report_detail(request.app.state.db, report_id, with_text=False)
