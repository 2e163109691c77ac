"""Opening a database: engine, SQLite discipline (WAL, foreign keys), Alembic upgrades, and the
keys that encrypt its sensitive columns (security/keys.py)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from kolokol.errors import DatabaseError
from kolokol.store.types import PLAINTEXT, DatabaseKeys, bind_keys, install_keys, release_keys

if TYPE_CHECKING:
    from kolokol.config import Settings
    from kolokol.security.keys import KeySource

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
    # Freed pages are overwritten with zeros and temporary tables and indices stay in memory, so no
    # file keeps a deleted value or a sort of sensitive rows (encrypted columns are ciphertext anyway).
    cur.execute("PRAGMA secure_delete=ON")
    cur.execute("PRAGMA temp_store=MEMORY")
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
            path = Path(parsed.database).expanduser().resolve()
            if not path.parent.is_dir():
                raise DatabaseError(f"folder {path.parent} does not exist",
                                    hint="create it or choose another --db")
            if not path.exists():  # readable by its owner only; SQLite gives -wal and -shm the same mode
                with contextlib.suppress(FileExistsError):
                    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        # hide_parameters: no statement error or log line ever carries a value (a name before encryption)
        engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql":
        try:
            return create_engine(url, pool_pre_ping=True, hide_parameters=True)
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
    """An open database: its engine, a session factory and its keys (also installed on the
    engine's dialect, where the sensitive column types find them)."""

    url: str
    engine: Engine
    sessions: sessionmaker[Session]
    keys: DatabaseKeys = field(default=PLAINTEXT, repr=False)

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A short transaction: committed on success, rolled back on any error. While it is open,
        this database's keys are the current ones for the blind indexes (store/types.py)."""
        token = bind_keys(self.keys)
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
            release_keys(token)

    def close(self) -> None:
        self.engine.dispose()


def open_database(url: str, *, auto_upgrade: bool = True, key: KeySource | None = None,
                  settings: Settings | None = None, encryption: bool | None = None) -> Database:
    """Open (and by default upgrade) a database and unlock its keys. Without auto_upgrade, an
    out-of-date database is refused with a clear message telling the user to run `kolokol db upgrade`.

    The key comes from `key`, else from the settings and environment (KOLOKOL_KEY_FILE,
    KOLOKOL_PASSPHRASE, the default key file). A new database is encrypted unless `encryption` (or
    the `encryption` setting) is off; an encrypted one opened without its key is refused with a
    one-line `[key]` error."""
    from kolokol.security.keys import key_source, unlock

    if key is None or encryption is None:
        if settings is None:
            from kolokol.config import load_settings

            settings = load_settings()
        key = key if key is not None else key_source(settings)
        encryption = settings.encryption if encryption is None else encryption
    engine = create_db_engine(url)
    try:
        if auto_upgrade:
            upgrade(engine)
        else:
            rev = current_revision(engine)
            if rev != head_revision():
                raise DatabaseError(f"the database is at revision {rev or 'none'}, not {head_revision()}",
                                    hint="run `kolokol db upgrade`")
        keys = unlock(engine, key, encryption=encryption)
    except OperationalError as exc:
        engine.dispose()
        reason = str(exc.orig).splitlines()[0] if exc.orig else str(exc).splitlines()[0]
        raise DatabaseError(f"cannot open database: {reason}") from exc
    except SQLAlchemyError as exc:
        engine.dispose()
        raise DatabaseError(f"cannot open database: {str(exc).splitlines()[0]}") from exc
    except BaseException:
        engine.dispose()
        raise
    install_keys(engine.dialect, keys)
    return Database(url=url, engine=engine, sessions=sessionmaker(engine, expire_on_commit=False), keys=keys)
