"""Opening a database: engine, SQLite discipline (WAL, foreign keys), Alembic upgrades."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from kolokol.errors import DatabaseError

MIGRATIONS = Path(__file__).parent / "migrations"


def normalise_url(url: str) -> str:
    """Accept plain `postgresql://` URLs and route them to psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def create_db_engine(url: str) -> Engine:
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseError(f"not a database URL: {url!r}",
                            hint="use sqlite:///path.db or postgresql://user@host/db") from exc
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            parent = Path(parsed.database).expanduser().resolve().parent
            if not parent.is_dir():
                raise DatabaseError(f"folder {parent} does not exist",
                                    hint="create it or choose another --db")
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql":
        try:
            return create_engine(url, pool_pre_ping=True)
        except ModuleNotFoundError as exc:
            raise DatabaseError("PostgreSQL support is not installed",
                                hint="pip install 'kolokol[postgres]'") from exc
    raise DatabaseError(f"unsupported database {parsed.get_backend_name()!r}",
                        hint="Kolokol supports SQLite and PostgreSQL")


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    script = ScriptDirectory(str(MIGRATIONS))
    head = script.get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Run every pending migration; return (revision before, revision after)."""
    before = current_revision(engine)
    known = {s.revision for s in ScriptDirectory(str(MIGRATIONS)).walk_revisions()}
    if before is not None and before not in known:
        raise DatabaseError(f"the database is at revision {before}, newer than this Kolokol knows",
                            hint="upgrade Kolokol")
    command.upgrade(alembic_config(engine), "head")
    return before, head_revision()


@dataclass
class Database:
    """An open database: its engine and a session factory."""

    url: str
    engine: Engine
    sessions: sessionmaker[Session]

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A short transaction: committed on success, rolled back on any error."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def close(self) -> None:
        self.engine.dispose()


def open_database(url: str, *, auto_upgrade: bool = True) -> Database:
    """Open (and by default upgrade) a database. Without auto_upgrade, an out-of-date database is
    refused with a clear message telling the user to run `kolokol db upgrade`."""
    engine = create_db_engine(url)
    try:
        if auto_upgrade:
            upgrade(engine)
        else:
            rev = current_revision(engine)
            if rev != head_revision():
                raise DatabaseError(f"the database is at revision {rev or 'none'}, not {head_revision()}",
                                    hint="run `kolokol db upgrade`")
    except OperationalError as exc:
        engine.dispose()
        reason = str(exc.orig).splitlines()[0] if exc.orig else str(exc).splitlines()[0]
        raise DatabaseError(f"cannot open database: {reason}") from exc
    except SQLAlchemyError as exc:
        engine.dispose()
        raise DatabaseError(f"cannot open database: {str(exc).splitlines()[0]}") from exc
    return Database(url=url, engine=engine, sessions=sessionmaker(engine, expire_on_commit=False))
