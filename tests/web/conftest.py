"""A small database built once per module and backend from tests/data/web (ingest, extraction,
merging, search index), and a TestClient over it, signed in as an analyst (tests/web/auth_helpers.py
makes accounts of other roles)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kolokol.config import load_settings
from kolokol.store.db import Database, open_database

DATA = Path(__file__).resolve().parent.parent / "data" / "web"


def build(db: Database) -> None:
    from kolokol.extract.store import store_extraction
    from kolokol.ingest import ingest_sources
    from kolokol.resolve.merge import merge_pending
    from kolokol.search import reindex_incidents

    files = sorted(str(p) for p in DATA.glob("w*.md"))
    ingest_sources(db, files, load_settings({}), after_store=store_extraction, progress=False)
    merge_pending(db)
    reindex_incidents(db)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def web_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'kolokol.db'}"
    else:
        url = request.getfixturevalue("postgres_server").create_database()
    db = open_database(url)
    build(db)
    yield db
    db.close()


@pytest.fixture(scope="module")
def client(web_db: Database) -> TestClient:
    """Signed in as an analyst (sees every incident and report; its X-CSRF-Token header is set)."""
    from kolokol.security.roles import Role
    from kolokol.web.app import create_app
    from tests.web.auth_helpers import signed_in_client

    return signed_in_client(create_app(web_db), web_db, Role.ANALYST)
