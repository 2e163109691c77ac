"""`kolokol backup` / `kolokol restore`: one encrypted file holding the whole database.

A backup file is::

    b"KOLOKOL-BACKUP\\x00\\x01" | header length (4 bytes) | header (JSON) | encrypted stream

The header names the payload (`sqlite`: the database file as SQLite's online backup API copied it;
`rows`: a logical dump of every Kolokol table as JSON lines, for PostgreSQL), the schema revision,
and the random file key wrapped by a KEK derived from the backup's secret: the database's own key
file or passphrase, or a passphrase given for the backup. The stream is AES-256-GCM in 1 MiB
chunks bound to the header (security/crypto.py), so a changed header, a flipped bit, a cut or
extended file are all refused before anything is written to the target.

The payload still holds the keyring, wrapped under the backup's secret (re-wrapped in the copy
when a separate backup passphrase is used): the backup's secret alone restores it. Sensitive
columns inside the payload stay encrypted under the database's data key, so the plaintext of a
name never exists on disk, not even in the private temporary directory the SQLite copy passes
through (it is deleted at once). `restore` re-wraps the keyring under the key configured for the
target database when there is one.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import struct
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy import (
    Date,
    DateTime,
    Engine,
    LargeBinary,
    MetaData,
    Table,
    create_engine,
    func,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url

from kolokol.errors import KolokolError
from kolokol.security import crypto, keys
from kolokol.security.crypto import CryptoError
from kolokol.security.keys import KeySource
from kolokol.store.db import Database, alembic_config, create_db_engine, current_revision, normalise_url

MAGIC = b"KOLOKOL-BACKUP\x00\x01"
FORMAT = 1
FILE_KEY_AAD = b"kolokol-backup-v1|file-key"
_LEN = struct.Struct(">I")
MAX_HEADER = 64 * 1024
SKIPPED_TABLES = ("incident_search", "sqlite_")  # the clear-text search index is rebuilt, never copied

Progress = Callable[[str, int, int], None]


class BackupError(KolokolError):
    code = "backup"


@dataclass(slots=True)
class BackupResult:
    path: Path
    payload: str
    revision: str | None
    bytes: int


@dataclass(slots=True)
class RestoreResult:
    url: str
    payload: str
    revision: str | None
    rows: int
    rewrapped: bool


# ---------------------------------------------------------------------------------------- rows


def _tables(engine: Engine) -> list[Table]:
    meta = MetaData()
    meta.reflect(engine, only=lambda name, _meta: not name.startswith(SKIPPED_TABLES))
    return list(meta.sorted_tables)


def _plain(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _typed(value: Any, column: Any) -> Any:
    if value is None:
        return None
    if isinstance(column.type, LargeBinary):
        return base64.b64decode(value)
    if isinstance(column.type, DateTime):
        return dt.datetime.fromisoformat(value)
    if isinstance(column.type, Date):
        return dt.date.fromisoformat(value)
    return value


def iter_rows(engine: Engine, *, keyring: Callable[[dict[str, Any]], dict[str, Any]] | None = None
              ) -> Iterator[dict[str, Any]]:
    """Every row of every table, values as stored (ciphertext stays ciphertext), JSON-ready:
    first {"table", "columns"} for each table, then {"t", "r"} for each of its rows."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":  # one snapshot for every table, while others keep writing
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        for tbl in _tables(engine):
            cols = [c for c in tbl.columns if c.computed is None]
            yield {"table": tbl.name, "columns": [c.name for c in cols]}
            order = list(tbl.primary_key.columns) or cols[:1]
            for row in conn.execute(select(*cols).order_by(*order)).mappings():
                item = dict(row)
                if tbl.name == "keyring" and keyring is not None:
                    item = keyring(item)
                yield {"t": tbl.name, "r": [_plain(item[c.name]) for c in cols]}


def _serialise(items: Iterator[dict[str, Any]]) -> Iterator[bytes]:
    buffer = bytearray()
    for item in items:
        buffer += json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"
        while len(buffer) >= crypto.CHUNK_BYTES:
            yield bytes(buffer[:crypto.CHUNK_BYTES])
            del buffer[:crypto.CHUNK_BYTES]
    if buffer:
        yield bytes(buffer)


def _parse(chunks: Iterator[bytes]) -> Iterator[dict[str, Any]]:
    rest = b""
    for chunk in chunks:
        rest += chunk
        *lines, rest = rest.split(b"\n")
        for line in lines:
            if line:
                yield json.loads(line)
    if rest.strip():
        raise BackupError("the backup's row dump ends in the middle of a line", hint="use an intact copy")


def load_rows(items: Iterator[dict[str, Any]], engine: Engine, progress: Progress | None = None) -> int:
    """Insert dumped rows into the (empty) schema of `engine` in one transaction."""
    tables = {t.name: t for t in _tables(engine)}
    count = 0
    with engine.begin() as conn:
        for tbl in reversed(list(tables.values())):  # rows a migration seeded give way to the backup's
            conn.execute(tbl.delete())
        current: Table | None = None
        columns: list[Any] = []
        batch: list[dict[str, Any]] = []

        def flush() -> None:
            if current is not None and batch:
                conn.execute(current.insert(), batch)
                batch.clear()

        for item in items:
            if "table" in item:
                flush()
                current = tables.get(item["table"])
                if current is None:
                    raise BackupError(f"the backup has a table {item['table']!r} this schema does not",
                                      hint="restore with the Kolokol version that made the backup")
                columns = [current.columns[c] for c in item["columns"]]
                continue
            assert current is not None
            batch.append({c.name: _typed(v, c) for c, v in zip(columns, item["r"], strict=True)})
            count += 1
            if len(batch) >= 500:
                flush()
                if progress:
                    progress("restoring rows", count, 0)
        flush()
        if conn.dialect.name == "postgresql":
            for tbl in tables.values():
                pk = list(tbl.primary_key.columns)
                if len(pk) == 1 and pk[0].autoincrement in (True, "auto") and pk[0].type.python_type is int:
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{tbl.name}', '{pk[0].name}'), "
                                      f"coalesce(max({pk[0].name}), 0) + 1, false) FROM {tbl.name}"))
    return count


# ---------------------------------------------------------------------------------------- files


def _header_bytes(header: Mapping[str, Any]) -> bytes:
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _read_header(f: IO[bytes]) -> tuple[dict[str, Any], bytes]:
    if f.read(len(MAGIC)) != MAGIC:
        raise BackupError("not a Kolokol backup (or a backup of another format)", hint="check the file name")
    raw_len = f.read(_LEN.size)
    if len(raw_len) < _LEN.size:
        raise BackupError("the backup is truncated", hint="copy it again from where it was kept")
    (size,) = _LEN.unpack(raw_len)
    if size > MAX_HEADER:
        raise BackupError("the backup's header is damaged", hint="use an intact copy")
    raw = f.read(size)
    if len(raw) < size:
        raise BackupError("the backup is truncated", hint="copy it again from where it was kept")
    try:
        header = json.loads(raw)
    except ValueError:
        raise BackupError("the backup's header is damaged", hint="use an intact copy") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT \
            or header.get("payload") not in ("sqlite", "rows"):
        raise BackupError("the backup's header is damaged or of an unknown format", hint="use an intact copy")
    return header, raw


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise BackupError("an in-memory database cannot be backed up or restored")
    return Path(parsed.database).expanduser().resolve()


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(crypto.CHUNK_BYTES):
            yield chunk


@contextlib.contextmanager
def _private_dir(near: Path | None = None) -> Iterator[Path]:
    """A temporary directory only this user can enter, removed afterwards whatever happens."""
    path = Path(tempfile.mkdtemp(prefix=".kolokol-", dir=near))
    try:
        os.chmod(path, 0o700)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _rewrap_row(row: dict[str, Any], ring: keys.Keyring, kek: bytes, params: Mapping[str, Any]) -> dict[str, Any]:
    key = (ring.data if row["purpose"] == "data" else ring.index)[row["key_id"]]
    wrapped, wrapping = keys.wrap_entry(kek, params, row["key_id"], row["purpose"], key)
    return {**row, "wrapped_key": wrapped, "wrapping": wrapping}


def backup(db: Database, out: Path, *, source: KeySource | None, secret: KeySource | None = None,
           progress: Progress | None = None) -> BackupResult:
    """Write an encrypted backup of `db` to `out` (never over an existing file).

    `source` is the database's key source; `secret` what the backup is encrypted with (default:
    `source`). With a separate secret the keyring inside the backup is re-wrapped under it."""
    secret = secret or source
    if secret is None:
        raise BackupError("a backup is always encrypted: there is no key to encrypt it with",
                          hint="give --passphrase, or set KOLOKOL_KEY_FILE or KOLOKOL_PASSPHRASE")
    out = out.expanduser()
    if out.exists():
        raise BackupError(f"{out} already exists", hint="choose a new file name")
    if not out.parent.is_dir():
        raise BackupError(f"folder {out.parent} does not exist", hint="create it first")
    with db.engine.connect() as conn:
        entries = keys.read_entries(conn)
    ring = keys.unwrap_keyring(entries, source) if entries and source is not None else None
    if entries and ring is None:
        raise BackupError("this database is encrypted and no key was given", hint="set its key first")
    params = keys.new_kek_params(secret)
    kek = keys.derive_kek(secret, params)
    same = ring is not None and secret == source
    rewrap = None if same or ring is None else (lambda row: _rewrap_row(row, ring, kek, params))
    file_key = crypto.random_key()
    revision = current_revision(db.engine)
    sqlite_path = _sqlite_path(db.url)
    header = {"format": FORMAT, "payload": "sqlite" if sqlite_path else "rows", "revision": revision,
              "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "kek": params,
              "file_key": crypto.b64(crypto.wrap_key(kek, file_key, FILE_KEY_AAD))}
    raw_header = _header_bytes(header)
    digest = hashlib.sha256(raw_header).digest()
    part = out.with_name(out.name + ".part")
    try:
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise BackupError(f"{part} exists: another backup is being written, or one was interrupted",
                          hint="delete it if no backup is running") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(MAGIC + _LEN.pack(len(raw_header)) + raw_header)
            if sqlite_path is not None:
                with _private_dir() as tmp:
                    copy = tmp / "snapshot.db"
                    _sqlite_snapshot(sqlite_path, copy, rewrap, progress)
                    size = crypto.encrypt_stream(_file_chunks(copy), f, file_key, digest)
            else:
                size = crypto.encrypt_stream(_serialise(iter_rows(db.engine, keyring=rewrap)), f, file_key, digest)
            f.flush()
            os.fsync(f.fileno())
        os.replace(part, out)
    finally:
        part.unlink(missing_ok=True)
    return BackupResult(out, header["payload"], revision, size)


def _sqlite_snapshot(source: Path, copy: Path, rewrap: Callable[[dict[str, Any]], dict[str, Any]] | None,
                     progress: Progress | None) -> None:
    """SQLite's online backup API: a consistent copy while others keep writing."""
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(copy)
    try:
        if progress:
            progress("copying the database", 0, 1)
        # All pages in one step, under one read transaction: writers go on (WAL) and the copy is the
        # database as of one commit; in small steps a busy writer could restart the copy forever.
        src.backup(dst, pages=-1)
        if progress:
            progress("copying the database", 1, 1)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        if rewrap is not None:
            dst.execute("PRAGMA secure_delete=ON")
            rows = dst.execute("SELECT id, key_id, purpose, wrapped_key, wrapping FROM keyring").fetchall()
            for rid, key_id, purpose, wrapped, wrapping in rows:
                new = rewrap({"key_id": key_id, "purpose": purpose, "wrapped_key": wrapped,
                              "wrapping": json.loads(wrapping)})
                dst.execute("UPDATE keyring SET wrapped_key = ?, wrapping = ? WHERE id = ?",
                            (new["wrapped_key"], json.dumps(new["wrapping"]), rid))
            dst.commit()
    finally:
        dst.close()
        src.close()


def read_backup_header(path: Path) -> dict[str, Any]:
    with path.open("rb") as f:
        return _read_header(f)[0]


def restore(path: Path, url: str, *, secret: KeySource | None, target: KeySource | None,
            progress: Progress | None = None) -> RestoreResult:
    """Restore a backup into an empty database at `url`. `secret` opens the backup; the keyring is
    re-wrapped under `target` (the key configured for the restored database) when that differs."""
    path = path.expanduser()
    if not path.is_file():
        raise BackupError(f"{path} does not exist", hint="give the path of a backup file")
    if secret is None:
        raise BackupError("no key to open the backup",
                          hint="give --passphrase, or set KOLOKOL_KEY_FILE or KOLOKOL_PASSPHRASE")
    with path.open("rb") as f:
        header, raw_header = _read_header(f)
        try:
            kek = keys.derive_kek(secret, header["kek"], "this backup")
            file_key = crypto.unwrap_key(kek, crypto.unb64(header["file_key"]), FILE_KEY_AAD)
        except CryptoError as exc:
            if "locked with a passphrase" in exc.message:
                raise BackupError(exc.message, hint="give --passphrase, or set KOLOKOL_PASSPHRASE when the backup "
                                  "was made with the database's passphrase") from exc
            if "locked with" in exc.message or "not the key" in exc.message:
                raise BackupError(exc.message, hint=exc.hint) from exc
            raise BackupError("this key or passphrase does not open the backup",
                              hint="use the key file or passphrase it was made with") from exc
        except (KeyError, TypeError):
            raise BackupError("the backup's header is damaged", hint="use an intact copy") from None
        digest = hashlib.sha256(raw_header).digest()
        target_path = _sqlite_path(url)
        near = target_path.parent if target_path is not None else None
        if near is not None and not near.is_dir():
            raise BackupError(f"folder {near} does not exist", hint="create it first")
        _check_empty(url)
        with _private_dir(near) as tmp:
            if header["payload"] == "sqlite":
                copy = tmp / "restored.db"
                fd = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as out:
                    for chunk in _decrypted(f, file_key, digest):
                        out.write(chunk)
                _check_sqlite_file(copy)
                if target_path is not None:
                    rewrapped = _rewrap_keyring(_raw_engine(copy), secret, target, header["kek"])
                    for suffix in ("-wal", "-shm"):
                        Path(f"{target_path}{suffix}").unlink(missing_ok=True)
                    os.replace(copy, target_path)
                    rows = _count_rows(_raw_engine(target_path))
                    return RestoreResult(url, "sqlite", header.get("revision"), rows, rewrapped)
                source_engine = _raw_engine(copy)
                try:
                    rows, rewrapped = _load_into(url, iter_rows(source_engine), header, secret, target, progress)
                finally:
                    source_engine.dispose()
            else:
                # Decrypted completely before any row is written: a damaged backup changes nothing.
                dump = tmp / "rows.jsonl"
                fd = os.open(dump, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as out:
                    for chunk in _decrypted(f, file_key, digest):
                        out.write(chunk)
                rows, rewrapped = _load_into(url, _parse(_file_chunks(dump)), header, secret, target, progress)
    return RestoreResult(url, header["payload"], header.get("revision"), rows, rewrapped)


def _count_rows(engine: Engine) -> int:
    try:
        with engine.connect() as conn:
            return sum(conn.execute(select(func.count()).select_from(t)).scalar_one() for t in _tables(engine))
    finally:
        engine.dispose()


def _decrypted(src: IO[bytes], key: bytes, digest: bytes) -> Iterator[bytes]:
    try:
        yield from crypto.decrypt_stream(src, key, digest)
    except CryptoError as exc:
        raise BackupError(exc.message, hint=exc.hint) from exc


def _raw_engine(path: Path) -> Engine:
    return create_engine(f"sqlite:///{path}")


def _check_sqlite_file(path: Path) -> None:
    try:
        with contextlib.closing(sqlite3.connect(path)) as conn:
            result = conn.execute("PRAGMA integrity_check").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError("the database inside the backup is damaged", hint="use another backup") from exc
    if not result or result[0] != "ok":
        raise BackupError("the database inside the backup fails its integrity check", hint="use another backup")


def _check_empty(url: str) -> None:
    """The target must hold no Kolokol data and no keys (it may not exist yet, or have an empty schema)."""
    path = _sqlite_path(url)
    if path is not None and not path.exists():
        return
    engine = create_db_engine(url)
    try:
        names = set(inspect(engine).get_table_names())
        if "keyring" in names:
            with engine.connect() as conn:
                if keys.read_entries(conn) or keys.has_sensitive_rows(conn):
                    raise BackupError("the database to restore into is not empty",
                                      hint="restore into a new database (another --db)")
        elif names - {"alembic_version"}:
            raise BackupError("the database to restore into already has tables",
                              hint="restore into a new, empty database")
    finally:
        engine.dispose()


def _rewrap_keyring(engine: Engine, secret: KeySource, target: KeySource | None, params: Mapping[str, Any]) -> bool:
    """Re-wrap the restored keyring under `target` (when there is one and it is another key)."""
    try:
        with engine.begin() as conn:
            entries = keys.read_entries(conn)
            if not entries or target is None or target == secret:
                return False
            ring = keys.unwrap_keyring(entries, secret)
            new_params = keys.new_kek_params(target)
            kek = keys.derive_kek(target, new_params)
            for e in entries:
                row = _rewrap_row({"key_id": e.key_id, "purpose": e.purpose}, ring, kek, new_params)
                conn.execute(update(keys.KEYRING).where(keys.KEYRING.c.id == e.id)
                             .values(wrapped_key=row["wrapped_key"], wrapping=row["wrapping"]))
            return True
    finally:
        engine.dispose()


def _load_into(url: str, items: Iterator[dict[str, Any]], header: Mapping[str, Any], secret: KeySource,
               target: KeySource | None, progress: Progress | None) -> tuple[int, bool]:
    from alembic import command

    revision = header.get("revision")
    engine = create_db_engine(url)
    try:
        now = current_revision(engine)
        if now is None and revision is not None:
            command.upgrade(alembic_config(engine), revision)
        elif now != revision:
            raise BackupError(f"the database to restore into is at revision {now}, the backup at {revision}",
                              hint="restore into a new, empty database")
        rows = load_rows(items, engine, progress)
    finally:
        engine.dispose()
    return rows, _rewrap_keyring(create_db_engine(url), secret, target, header["kek"])
