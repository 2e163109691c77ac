"""An id beyond 64 bits names no record: every route with an integer id answers 404, never 500."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient


@pytest.mark.parametrize("huge", [str(2**70), str(2**40)])  # beyond 64 bits; beyond PostgreSQL's integer
def test_huge_ids_are_not_found_not_server_errors(client: TestClient, huge: str) -> None:
    from kolokol.web.access import app_routes

    routes = [r for r in app_routes(client.app) if isinstance(getattr(r, "original_route", r), APIRoute)
              and "GET" in r.methods and re.search(r"\{\w*id\}", r.path)]
    assert routes, "no route with an id"
    for route in routes:
        path = re.sub(r"\{\w*id\}", huge, route.path)
        response = client.get(path, follow_redirects=False)
        assert response.status_code in (401, 403, 404, 422), (path, response.status_code)


def test_other_data_errors_stay_server_errors(web_db) -> None:
    """Only "integer out of range" means "no such record"; any other DataError is a fault to see."""
    from sqlalchemy.exc import DataError

    from kolokol.web.app import create_app

    class Orig(Exception):
        sqlstate = "22P02"  # invalid text representation: a bug, not a missing record

    app = create_app(web_db)

    @app.get("/api/broken")
    def broken() -> None:
        raise DataError("SELECT 1", {}, Orig())

    response = TestClient(app, raise_server_exceptions=False).get("/api/broken")
    assert response.status_code == 500
