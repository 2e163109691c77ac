"""Trend alerts: the episodes in which a rule fired (analysts and admins), and the rules (admins edit
them). JSON twins under /api/alerts and /api/alert-rules."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from kolokol.alerts import AlertError, current_alerts, delete_rule, list_rules, save_rule
from kolokol.domain import IncidentType
from kolokol.security.roles import Permission, UserInfo
from kolokol.web.access import require
from kolokol.web.routes.pages import render

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
api_router = APIRouter(prefix="/api", tags=["alerts"])
Reader = Annotated[UserInfo, Depends(require(Permission.ALERTS))]
Manager = Annotated[UserInfo, Depends(require(Permission.MANAGE_ALERTS))]
RULE_FIELDS = ("name", "target_nationality", "country", "min_count", "window_days", "rate_factor", "baseline_days",
               "enabled")


def _context(request: Request, user: UserInfo, *, error: Any = None, draft: dict[str, Any] | None = None
             ) -> dict[str, Any]:
    db = request.app.state.db
    rules = list_rules(db)
    return {"alerts": current_alerts(db, user=user, rules=rules), "rules": rules, "error": error, "draft": draft,
            "all_types": [t.value for t in IncidentType], "api": "/api/alerts"}


@router.get("/alerts")
def page_alerts(request: Request, user: Reader) -> HTMLResponse:
    return render(request, "alerts.html", _context(request, user))


@api_router.get("/alerts", summary="Trend alert episodes of every enabled rule, active ones first, and the rules "
                "(analysts)")
def api_alerts(request: Request, user: Reader) -> dict[str, Any]:
    db = request.app.state.db
    rules = list_rules(db)
    return {"alerts": [a.to_dict() for a in current_alerts(db, user=user, rules=rules)],
            "rules": [r.to_dict() | {"description": r.describe()} for r in rules]}


async def _rule_form(request: Request) -> dict[str, Any]:
    form = await request.form()
    data: dict[str, Any] = {k: str(form.get(k) or "")[:300] for k in RULE_FIELDS}
    data["types"] = [str(t) for t in form.getlist("types")][:20]
    data["enabled"] = bool(form.get("enabled"))
    return data


@router.post("/alerts/rules")
async def page_rule_create(request: Request, user: Manager) -> Any:
    data = await _rule_form(request)
    try:
        save_rule(request.app.state.db, data, user=user)
    except AlertError as exc:
        return render(request, "alerts.html", _context(request, user, error=exc, draft=data), status_code=400)
    return RedirectResponse("/alerts#rules", status_code=303)


@router.post("/alerts/rules/{rule_id}")
async def page_rule_update(request: Request, rule_id: int, user: Manager) -> Any:
    data = await _rule_form(request)
    try:
        save_rule(request.app.state.db, data, rule_id=rule_id, user=user)
    except AlertError as exc:
        return render(request, "alerts.html", _context(request, user, error=exc), status_code=400)
    return RedirectResponse("/alerts#rules", status_code=303)


@router.post("/alerts/rules/{rule_id}/delete")
def page_rule_delete(request: Request, rule_id: int, user: Manager) -> RedirectResponse:
    delete_rule(request.app.state.db, rule_id, user=user)
    return RedirectResponse("/alerts#rules", status_code=303)


RULE_DOC = ("A rule: name, types (list; empty: any), target_nationality and country (ISO codes; empty: each "
            "apart), min_count, window_days, rate_factor, baseline_days (default 90), enabled")


@api_router.post("/alert-rules", summary="Create an alert rule (admins; X-CSRF-Token). " + RULE_DOC)
def api_rule_create(request: Request, user: Manager, rule: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    return save_rule(request.app.state.db, rule, user=user).to_dict()


@api_router.put("/alert-rules/{rule_id}", summary="Change an alert rule (admins; X-CSRF-Token). " + RULE_DOC)
def api_rule_update(request: Request, rule_id: int, user: Manager,
                    rule: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    return save_rule(request.app.state.db, rule, rule_id=rule_id, user=user).to_dict()


@api_router.delete("/alert-rules/{rule_id}", summary="Delete an alert rule (admins; X-CSRF-Token)")
def api_rule_delete(request: Request, rule_id: int, user: Manager) -> dict[str, Any]:
    delete_rule(request.app.state.db, rule_id, user=user)
    return {"deleted": rule_id}
