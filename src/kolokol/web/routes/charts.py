"""Charts and the map: the timeline of incidents by type, the map of incidents by place (offline: the
country outlines come from the pinned npm package world-atlas; a tile server only when one is
configured), and the actor network. Each takes the search filters, so a chart of a search is one
link away, and each has a JSON twin. All of them are for signed-in accounts (anonymous visitors have
the public pages) and count only what the account may see."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from kolokol.analytics import actor_network, map_data, timeline
from kolokol.web.access import Browser
from kolokol.web.routes.filters import Filters, url
from kolokol.web.routes.pages import render
from kolokol.web.svg import map_layers, network_layout, timeline_bars

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
api_router = APIRouter(prefix="/api", tags=["charts"])


def tile_url(request: Request) -> str | None:
    """The configured tile server (`map_tile_url`), read once per app."""
    state = request.app.state
    if not hasattr(state, "map_tile_url"):
        from kolokol.config import load_settings

        state.map_tile_url = load_settings().map_tile_url
    return state.map_tile_url


@router.get("/timeline")
def page_timeline(request: Request, query: Filters, user: Browser) -> HTMLResponse:
    data = timeline(request.app.state.db, query, user=user)
    return render(request, "timeline.html", {"data": data, "chart": timeline_bars(data), "query": query,
                                             "search": url("/incidents", query, page=1),
                                             "api": url("/api/timeline", query, page=1)})


@api_router.get("/timeline", summary="Incidents per month and type (the same filters as /api/incidents)")
def api_timeline(request: Request, query: Filters, user: Browser) -> dict[str, Any]:
    return timeline(request.app.state.db, query, user=user)


def map_context(request: Request, data: dict[str, Any]) -> dict[str, Any]:
    tiles = tile_url(request)
    return {"data": data, "layers": map_layers(data), "tiles": tiles if tile_origin(tiles) else None}


@router.get("/map")
def page_map(request: Request, query: Filters, user: Browser) -> HTMLResponse:
    data = map_data(request.app.state.db, query, user=user)
    context = map_context(request, data)
    def link(**changes: Any) -> str:
        return url("/incidents", query, **{"page": 1, "view": "table", **changes})

    response = render(request, "map.html", {**context, "query": query, "search": url("/incidents", query, page=1),
                                            "link": link, "api": url("/api/map", query, page=1)})
    origin = tile_origin(context["tiles"])
    if origin:  # the one other origin a page may load from, and only when an admin configured it
        from kolokol.web.app import SECURITY_HEADERS

        response.headers["Content-Security-Policy"] = (SECURITY_HEADERS["Content-Security-Policy"]
                                                       + f"; img-src 'self' {origin}")
    return response


def tile_origin(template: str | None) -> str | None:
    """scheme://host[:port] of a tile URL template (http or https only)."""
    if not template:
        return None
    parts = urlsplit(template.replace("{", "").replace("}", ""))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return f"{parts.scheme}://{parts.netloc}"


@api_router.get("/map", summary="Incidents per place (with coordinates) and per country (the same filters as "
                "/api/incidents)")
def api_map(request: Request, query: Filters, user: Browser) -> dict[str, Any]:
    return map_data(request.app.state.db, query, user=user)


@router.get("/network")
def page_network(request: Request, query: Filters, user: Browser) -> HTMLResponse:
    data = actor_network(request.app.state.db, query, user=user)
    return render(request, "network.html", {"data": data, "graph": network_layout(data["nodes"], data["edges"]),
                                            "query": query, "search": url("/incidents", query, page=1),
                                            "api": url("/api/network", query, page=1)})


@api_router.get("/network", summary="Actor network: who acted against whom and who was targeted together "
                "(the busiest actors; the same filters as /api/incidents; signed-in accounts)")
def api_network(request: Request, query: Filters, user: Browser) -> dict[str, Any]:
    return actor_network(request.app.state.db, query, user=user)
