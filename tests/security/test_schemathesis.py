"""Schemathesis against the app's own OpenAPI schema, in process (ASGI): every operation, fed
generated valid and invalid requests, anonymously and signed in as an admin (session cookie and CSRF
token), never answers with a server error. Bounded: a few examples per operation and role."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from kolokol.security.roles import Role
from kolokol.store import models
from kolokol.store.db import Database, open_database
from kolokol.web.app import create_app
from tests.export.public_data import publish
from tests.web.auth_helpers import BASE_URL, signed_in_client
from tests.web.conftest import build

EXAMPLES = int(os.environ.get("KOLOKOL_SCHEMATHESIS_EXAMPLES", "10"))


@dataclass
class Api:
    db: Database
    app: Any
    schema: Any
    admin: dict[str, Any]  # cookies and headers of a signed-in admin


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    db = open_database(f"sqlite:///{tmp_path_factory.mktemp('schemathesis') / 'kolokol.db'}")
    build(db)
    with db.session() as s:
        first = s.query(models.Incident.id).order_by(models.Incident.id).first()
    assert first is not None
    publish(db, [first[0]])
    app = create_app(db)
    client = signed_in_client(app, db, Role.ADMIN)
    admin = {"cookies": dict(client.cookies.items()), "headers": {"X-CSRF-Token": client.headers["X-CSRF-Token"]}}
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    yield Api(db, app, schema, admin)
    db.close()


def _operations(schema: Any) -> list[Any]:
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("who", ["anonymous", "admin"])
def test_no_operation_answers_with_a_server_error(api: Api, who: str) -> None:
    operations = _operations(api.schema)
    assert len(operations) >= 8, [op.label for op in operations]
    failures: list[str] = []
    extra = api.admin if who == "admin" else {"cookies": {}, "headers": {}}

    for operation in operations:
        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck),
                  phases=[Phase.explicit, Phase.reuse, Phase.generate])  # no shrinking: the time stays bounded
        @given(case=operation.as_strategy())
        def exercise(case: Any) -> None:
            response = case.call(base_url=BASE_URL, cookies=extra["cookies"], headers=extra["headers"])
            assert response.status_code < 500, (f"{case.method} {case.formatted_path} {case.query} {case.body!r}: "
                                                f"{response.status_code} {response.text[:300]}")

        try:
            exercise()
        except Exception as exc:  # a 5xx, or the exception behind it (the test client raises it)
            failures.append(f"{operation.label}: {type(exc).__name__}: {str(exc)[:400]}")
    assert failures == [], "\n".join(failures)
