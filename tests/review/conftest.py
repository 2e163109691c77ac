"""A database with the three web reports (tests/data/web), fresh per test, on both backends, and
accounts of each role."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kolokol.security.roles import Role, UserInfo
from kolokol.store import models
from kolokol.store.db import Database


def make_user(db: Database, name: str, role: Role) -> UserInfo:
    """A stored account (no password: these tests call the library directly)."""
    with db.session() as s:
        user = models.User(username=name, password_hash="-", role=role.label)
        s.add(user)
        s.flush()
        return UserInfo(id=user.id, username=name, role=role)


@pytest.fixture
def reviewed_db(db: Database) -> Iterator[Database]:
    from tests.web.conftest import build

    build(db)
    yield db


@pytest.fixture
def analyst(reviewed_db: Database) -> UserInfo:
    return make_user(reviewed_db, "ana", Role.ANALYST)


@pytest.fixture
def viewer(reviewed_db: Database) -> UserInfo:
    return make_user(reviewed_db, "vic", Role.VIEWER)
