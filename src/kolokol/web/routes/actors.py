"""Actor pages: an actor's names, history and related actors, over the incidents the user may see
(404 when none). Names are in the page, never in its address: actors go by id."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from kolokol.analytics import actor_profile
from kolokol.web.access import Browser
from kolokol.web.routes.pages import render

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
api_router = APIRouter(prefix="/api", tags=["actors"])


@router.get("/actors/{actor_id}")
def page_actor(request: Request, actor_id: int, user: Browser) -> HTMLResponse:
    data = actor_profile(request.app.state.db, actor_id, user=user)
    return render(request, "actor.html", {"data": data, "api": f"/api/actors/{actor_id}"})


@api_router.get("/actors/{actor_id}", summary="One actor: names, history and related actors, over the incidents "
                "the account may see (signed-in accounts)")
def api_actor(request: Request, actor_id: int, user: Browser) -> dict[str, Any]:
    return actor_profile(request.app.state.db, actor_id, user=user)
