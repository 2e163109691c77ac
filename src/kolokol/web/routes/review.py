"""The review queue and the analysts' decisions: accept, reject, edit (with history and revert),
merge, split. Pages (`router`) work with plain forms, the keyboard layer (static/review.js) uses the
same forms; every page has a JSON twin and every action a JSON route (`api_router`). All of them are
for analysts and admins (web/access.py), and every unsafe request carries the CSRF token.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Body, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from kolokol.domain import IncidentType
from kolokol.review import (
    accept_incident,
    edit_incident,
    incident_history,
    merge_into,
    parse_edit_form,
    reject_incident,
    revert_edit,
    review_queue,
    split_off,
)
from kolokol.review.workflow import PRECISIONS, edit_form
from kolokol.search import incident_detail
from kolokol.web.access import Analyst, safe_next
from kolokol.web.routes.pages import render

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
api_router = APIRouter(prefix="/api", tags=["review"])


def back_to(value: str | None, default: str) -> str:
    """A local page to return to (path and query), else `default`."""
    if not value or (safe_next(value) == "/" and value.split("?")[0] != "/"):
        return default
    parts = urlsplit(value)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# --- the queue -------------------------------------------------------------------------------------

@router.get("/review")
def page_review(request: Request, user: Analyst, page: int = 1) -> HTMLResponse:
    queue = review_queue(request.app.state.db, user=user, page=max(1, page))
    api = "/api/review" + (f"?page={page}" if page > 1 else "")
    return render(request, "review.html", {"queue": queue, "api": api})


@api_router.get("/review", summary="The review queue: new machine incidents, newest act first (analysts)")
def api_review(request: Request, user: Analyst, page: int = 1) -> dict[str, Any]:
    return review_queue(request.app.state.db, user=user, page=max(1, page)).to_dict()


@router.post("/incidents/{incident_id}/accept")
def page_accept(request: Request, incident_id: int, user: Analyst,
                next: Annotated[str, Form(max_length=600)] = "/review") -> RedirectResponse:
    accept_incident(request.app.state.db, incident_id, user=user)
    return RedirectResponse(back_to(next, "/review"), status_code=303)


@router.post("/incidents/{incident_id}/reject")
def page_reject(request: Request, incident_id: int, user: Analyst,
                next: Annotated[str, Form(max_length=600)] = "/review") -> RedirectResponse:
    reject_incident(request.app.state.db, incident_id, user=user)
    return RedirectResponse(back_to(next, "/review"), status_code=303)


@api_router.post("/incidents/{incident_id}/accept", summary="Accept an incident (analysts; X-CSRF-Token)")
def api_accept(request: Request, incident_id: int, user: Analyst) -> dict[str, Any]:
    before = accept_incident(request.app.state.db, incident_id, user=user)
    return {"id": incident_id, "review_status": "accepted", "previous": before}


@api_router.post("/incidents/{incident_id}/reject", summary="Reject an incident (analysts; X-CSRF-Token)")
def api_reject(request: Request, incident_id: int, user: Analyst) -> dict[str, Any]:
    before = reject_incident(request.app.state.db, incident_id, user=user)
    return {"id": incident_id, "review_status": "rejected", "previous": before}


# --- edit ------------------------------------------------------------------------------------------

def _edit_context(request: Request, incident_id: int, user: Any, *, error: Any = None,
                  values: dict[str, Any] | None = None) -> dict[str, Any]:
    data = edit_form(request.app.state.db, incident_id, user=user)
    if values is not None:
        data = {**data, "fields": {**data["fields"], **{k: v for k, v in values.items() if k != "types"}},
                "types": values.get("types", data["types"])}
    return {"form": data, "error": error, "all_types": [t.value for t in IncidentType], "precisions": PRECISIONS,
            "api": f"/api/incidents/{incident_id}/edit"}


@router.get("/incidents/{incident_id}/edit")
def page_edit(request: Request, incident_id: int, user: Analyst) -> HTMLResponse:
    return render(request, "edit.html", _edit_context(request, incident_id, user))


@router.post("/incidents/{incident_id}/edit")
async def page_edit_submit(request: Request, incident_id: int, user: Analyst) -> Any:
    from kolokol.review import EditError

    form = await request.form()
    values = {k: str(v)[:20000] for k, v in form.items() if k != "types"}
    types = [str(t) for t in form.getlist("types")][:20]
    try:
        edit_incident(request.app.state.db, incident_id, parse_edit_form(values, types), user=user)
    except EditError as exc:  # show the form again with what was typed and what is wrong
        context = _edit_context(request, incident_id, user, error=exc, values={**values, "types": types})
        return render(request, "edit.html", context, status_code=400)
    return RedirectResponse(f"/incidents/{incident_id}", status_code=303)


@api_router.get("/incidents/{incident_id}/edit", summary="An incident's editable values as the edit form "
                "shows them (analysts)")
def api_edit(request: Request, incident_id: int, user: Analyst) -> dict[str, Any]:
    return edit_form(request.app.state.db, incident_id, user=user)


@api_router.post("/incidents/{incident_id}/edit", summary="Edit fields of an incident: a JSON object of "
                 "field -> value (types, date, date_precision, country, place, origin_country, targets, "
                 "perpetrators, legal_basis, outcome); returns the fields that changed (analysts; X-CSRF-Token)")
def api_edit_submit(request: Request, incident_id: int, user: Analyst,
                    changes: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    changed = edit_incident(request.app.state.db, incident_id, changes, user=user)
    return {"id": incident_id, "changed": changed}


# --- history and revert ----------------------------------------------------------------------------

@router.get("/incidents/{incident_id}/history")
def page_history(request: Request, incident_id: int, user: Analyst) -> HTMLResponse:
    db = request.app.state.db
    entries = incident_history(db, incident_id, user=user)
    inc = incident_detail(db, incident_id, with_text=False, user=user)
    return render(request, "history.html", {"entries": entries, "inc": inc,
                                            "api": f"/api/incidents/{incident_id}/history"})


@api_router.get("/incidents/{incident_id}/history", summary="An incident's review history, newest first: "
                "who did what when, with the values set (analysts)")
def api_history(request: Request, incident_id: int, user: Analyst) -> dict[str, Any]:
    entries = incident_history(request.app.state.db, incident_id, user=user)
    return {"id": incident_id, "history": [e.to_dict() for e in entries]}


@router.post("/incidents/{incident_id}/edits/{edit_id}/revert")
def page_revert(request: Request, incident_id: int, edit_id: int, user: Analyst) -> RedirectResponse:
    revert_edit(request.app.state.db, incident_id, edit_id, user=user)
    return RedirectResponse(f"/incidents/{incident_id}/history", status_code=303)


@api_router.post("/incidents/{incident_id}/edits/{edit_id}/revert", summary="Revert one edit: the value "
                 "shown falls back to the previous one (analysts; X-CSRF-Token)")
def api_revert(request: Request, incident_id: int, edit_id: int, user: Analyst) -> dict[str, Any]:
    fields = revert_edit(request.app.state.db, incident_id, edit_id, user=user)
    return {"id": incident_id, "reverted": fields}


# --- merge and split -------------------------------------------------------------------------------

@router.post("/incidents/{incident_id}/merge")
def page_merge(request: Request, incident_id: int, user: Analyst,
               other: Annotated[int, Form(ge=1)]) -> RedirectResponse:
    merged = merge_into(request.app.state.db, incident_id, other, user=user)
    return RedirectResponse(f"/incidents/{merged}", status_code=303)


@api_router.post("/incidents/{incident_id}/merge", summary="Merge another incident into this one: the same "
                 "act, kept by every re-run (analysts; X-CSRF-Token)")
def api_merge(request: Request, incident_id: int, user: Analyst,
              other: Annotated[int, Body(embed=True, ge=1)]) -> dict[str, Any]:
    return {"id": merge_into(request.app.state.db, incident_id, other, user=user)}


@router.post("/incidents/{incident_id}/split")
def page_split(request: Request, incident_id: int, user: Analyst,
               mention: Annotated[list[int], Form()]) -> RedirectResponse:
    moved, _kept = split_off(request.app.state.db, incident_id, mention[:500], user=user)
    return RedirectResponse(f"/incidents/{moved}", status_code=303)


@api_router.post("/incidents/{incident_id}/split", summary="Split report-level incidents (mention ids) off into "
                 "an incident of their own, kept by every re-run (analysts; X-CSRF-Token)")
def api_split(request: Request, incident_id: int, user: Analyst,
              mentions: Annotated[list[int], Body(embed=True, max_length=500)]) -> dict[str, Any]:
    moved, kept = split_off(request.app.state.db, incident_id, mentions, user=user)
    return {"moved": moved, "kept": kept}
