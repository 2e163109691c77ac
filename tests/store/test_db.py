from __future__ import annotations

import pytest
from sqlalchemy import inspect, select, text

from kolokol.errors import DatabaseError
from kolokol.store import models
from kolokol.store.db import current_revision, head_revision, open_database, upgrade


def test_upgrade_creates_every_table(db):
    tables = set(inspect(db.engine).get_table_names())
    assert set(models.Base.metadata.tables) <= tables
    assert current_revision(db.engine) == head_revision()


def test_upgrade_is_idempotent(db):
    before, after = upgrade(db.engine)
    assert before == after == head_revision()


def test_failed_transaction_leaves_database_unchanged(db):
    with pytest.raises(RuntimeError), db.session() as s:
        s.add(models.Place(id="x:1", name="Nowhere", country="KG", kind="city"))
        s.flush()
        raise RuntimeError("boom")
    with db.session() as s:
        assert s.scalars(select(models.Place)).all() == []


def test_sqlite_uses_wal_and_foreign_keys(sqlite_db):
    with sqlite_db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_refuses_out_of_date_database_without_auto_upgrade(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    with pytest.raises(DatabaseError, match="kolokol db upgrade"):
        open_database(url, auto_upgrade=False)
    open_database(url).close()
    open_database(url, auto_upgrade=False).close()


def test_bad_urls_give_clear_errors(tmp_path):
    with pytest.raises(DatabaseError, match="not a database URL"):
        open_database("not a url")
    with pytest.raises(DatabaseError, match="does not exist"):
        open_database(f"sqlite:///{tmp_path / 'missing' / 'x.db'}")
    with pytest.raises(DatabaseError, match="unsupported"):
        open_database("mysql://u@h/db")


def test_migrations_match_the_models(db):
    """The tables the migrations build are the tables the code declares (no drift either way)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from kolokol.store.models import Base

    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    # the search index is built by hand per backend (FTS5 / tsvector) and has no model
    def hand_built(d: tuple) -> bool:
        table = d[1] if d[0] == "remove_table" else getattr(d[1], "table", None)
        return table is not None and table.name.startswith("incident_search")

    diff = [d for d in diff if not (isinstance(d, tuple) and hand_built(d))]
    assert diff == []
