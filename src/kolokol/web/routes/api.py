"""The JSON API: one route per page, same data, documented in /openapi.json."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Request

from kolokol.search import dashboard, incident_detail, report_detail, search_incidents
from kolokol.security.publishing import set_visibility
from kolokol.security.roles import Permission, UserInfo, Visibility
from kolokol.web.access import Browser, audit_event, require
from kolokol.web.routes.filters import Filters

router = APIRouter(prefix="/api", tags=["api"])


def audit_read(request: Request, user: UserInfo | None, kind: str, data: dict[str, Any]) -> None:
    """Reads of anything but a public incident go to the audit log (ids only)."""
    if kind == "incident" and data.get("visibility") == Visibility.PUBLIC.value:
        return
    audit_event(request, f"read.{kind}", object_type=kind, object_id=data["id"], user=user)


@router.get("/", summary="Dashboard: counts by type, country and review status; the latest incidents")
def api_dashboard(request: Request, user: Browser) -> dict[str, Any]:
    return dashboard(request.app.state.db, user=user)


@router.get("/incidents", summary="Search merged incidents: facets and full text (filter state as in /incidents)")
def api_incidents(request: Request, query: Filters, user: Browser) -> dict[str, Any]:
    return search_incidents(request.app.state.db, query, user=user).to_dict()


@router.get("/incidents/{incident_id}", summary="One merged incident: fields, conflicting values, sources, "
            "report-level incidents with evidence spans (offsets into the report text)")
def api_incident(request: Request, incident_id: int, user: Browser) -> dict[str, Any]:
    data = incident_detail(request.app.state.db, incident_id, with_text=False, user=user)
    audit_read(request, user, "incident", data)
    return data


@router.get("/reports/{report_id}", summary="One report: metadata, clean text and its evidence spans "
            "(analysts and admins)")
def api_report(request: Request, report_id: int,
               user: UserInfo = Depends(require(Permission.READ_REPORTS))) -> dict[str, Any]:
    data = report_detail(request.app.state.db, report_id, user=user, with_text=False)
    audit_read(request, user, "report", data)
    return data


@router.post("/incidents/{incident_id}/visibility", summary="Set an incident's visibility: restricted, "
             "internal (analysts and admins) or public (admins; reviewed incidents only). Needs X-CSRF-Token")
def api_visibility(request: Request, incident_id: int,
                   visibility: str = Body(..., embed=True, max_length=20),
                   user: UserInfo = Depends(require(Permission.RESTRICT))) -> dict[str, Any]:
    return set_visibility(request.app.state.db, incident_id, visibility, user=user)
