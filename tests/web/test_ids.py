"""An id beyond 64 bits names no record: every route with an integer id answers 404, never 500."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

HUGE = str(2**70)


def test_huge_ids_are_not_found_not_server_errors(client: TestClient) -> None:
    from kolokol.web.access import app_routes

    routes = [r for r in app_routes(client.app) if isinstance(getattr(r, "original_route", r), APIRoute)
              and "GET" in r.methods and re.search(r"\{\w*id\}", r.path)]
    assert routes, "no route with an id"
    for route in routes:
        path = re.sub(r"\{\w*id\}", HUGE, route.path)
        response = client.get(path, follow_redirects=False)
        assert response.status_code in (401, 403, 404, 422), (path, response.status_code)
