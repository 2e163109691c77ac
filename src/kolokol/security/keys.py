"""Where the keys come from and how a database is unlocked.

Key hierarchy (docs/encryption.md):

    key file (256 random bits)  --HKDF-SHA256(salt)-->  KEK  --AES-GCM wraps-->  data key  (fields, AES-256-GCM)
    or passphrase               --Argon2id(salt)----->  KEK                 -->  index key (blind indexes, HMAC)
                                                                                 |--HKDF("audit-chain mac v1")-->
                                                                                 audit key (audit chain, HMAC)

The wrapped data and index keys live in the database's `keyring` table with the salt and KDF
costs; the KEK and the key file never touch the database. A new database gets random keys the
first time it is opened with a key source; an encrypted one opened without its key, or with
another, is refused with a one-line `[key]` error.

Key sources, first found wins: `KOLOKOL_PASSPHRASE` (environment only), the `key_file` setting
(`KOLOKOL_KEY_FILE`), the default key file `$XDG_CONFIG_HOME/kolokol/kolokol.key` (made by
`kolokol key init`). Giving both a passphrase and a key file is an error rather than a guess.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import os
import stat
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, LargeBinary, Table, Text, bindparam, column, select, table, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from kolokol.config import Settings
from kolokol.errors import ConfigError
from kolokol.security import audit, crypto
from kolokol.security.crypto import CryptoError
from kolokol.store import models
from kolokol.store.types import (
    PLAINTEXT,
    DatabaseKeys,
    FieldCodec,
    SensitiveBytes,
    SensitiveJSON,
    SensitiveText,
    bind_keys,
    install_keys,
    release_keys,
)

if TYPE_CHECKING:
    from kolokol.store.db import Database

KEY_FILE_TAG = "kolokol-key-v1"
WRAP_METHOD = "aes-256-gcm"
PASSPHRASE_ENV = "KOLOKOL_PASSPHRASE"
MIN_PASSPHRASE = 12


# ---------------------------------------------------------------------------------------- key sources


def default_key_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "kolokol" / "kolokol.key"


@dataclass(frozen=True, slots=True)
class KeyFile:
    """A file holding 256 random bits (`kolokol key init`). Refused when others may read it."""

    path: Path
    origin: str = "key_file"

    kind = "key-file"

    def master(self) -> bytes:
        try:
            info = self.path.stat()
        except FileNotFoundError:
            raise CryptoError(f"key file {self.path} does not exist",
                              hint="create one with `kolokol key init` or fix KOLOKOL_KEY_FILE") from None
        except OSError as exc:
            raise CryptoError(f"cannot read key file {self.path}: {exc.strerror}") from None
        if os.name == "posix" and info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise CryptoError(f"key file {self.path} can be read by other users",
                              hint=f"chmod 600 {self.path}")
        try:
            content = self.path.read_text(encoding="ascii").split()
        except (OSError, UnicodeDecodeError) as exc:
            raise CryptoError(f"cannot read key file {self.path}", hint="it must be a file made by "
                              "`kolokol key init`") from exc
        if len(content) != 2 or content[0] != KEY_FILE_TAG:
            raise CryptoError(f"{self.path} is not a Kolokol key file", hint="make one with `kolokol key init`")
        master = crypto.unb64(content[1])
        if len(master) != crypto.KEY_BYTES:
            raise CryptoError(f"{self.path} is not a Kolokol key file", hint="make one with `kolokol key init`")
        return master

    def fingerprint(self) -> str:
        """16 hex digits naming the key (a keyed hash: says nothing of the key itself)."""
        return key_fingerprint(self.master())

    def describe(self) -> str:
        return f"key file {self.path} (fingerprint {self.fingerprint()})"


@dataclass(frozen=True, slots=True)
class Passphrase:
    secret: str = field(repr=False)
    origin: str = PASSPHRASE_ENV

    kind = "passphrase"

    def describe(self) -> str:
        return f"passphrase from {self.origin}"


KeySource = KeyFile | Passphrase


def key_fingerprint(master: bytes) -> str:
    return hmac.new(master, b"kolokol-key-fingerprint", hashlib.sha256).hexdigest()[:16]


def check_passphrase(secret: str) -> Passphrase:
    if len(secret) < MIN_PASSPHRASE:
        raise CryptoError(f"the passphrase is too short (fewer than {MIN_PASSPHRASE} characters)",
                          hint="use a long passphrase, or a key file (`kolokol key init`)")
    return Passphrase(secret)


def key_source(settings: Settings, environ: Mapping[str, str] | None = None) -> KeySource | None:
    """The key source configured for this process, or None."""
    env = os.environ if environ is None else environ
    passphrase = env.get(PASSPHRASE_ENV)
    if passphrase and settings.key_file:
        raise ConfigError("both KOLOKOL_PASSPHRASE and a key file are set",
                          hint="keep the one that opens the database")
    if passphrase:
        return Passphrase(passphrase)
    if settings.key_file:
        return KeyFile(Path(settings.key_file).expanduser())
    default = default_key_file()
    if default.is_file():
        return KeyFile(default, origin="default")
    return None


def create_key_file(path: Path, *, force: bool = False) -> KeyFile:
    """Write a new random key file readable by its owner only (0600); never overwrites one unless
    `force` (which makes every database locked with the old key unreadable)."""
    path = path.expanduser()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.exists() and not force:
        raise CryptoError(f"{path} already exists", hint="keep it: it may be the key of a database")
    data = f"{KEY_FILE_TAG} {crypto.b64(crypto.random_key())}\n".encode("ascii")
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    return KeyFile(path)


# ---------------------------------------------------------------------------------------- KEKs

_kek_cache: dict[bytes, bytes] = {}


def new_kek_params(source: KeySource) -> dict[str, Any]:
    salt = crypto.b64(os.urandom(16))
    if isinstance(source, KeyFile):
        return {"kdf": "hkdf-sha256", "salt": salt, "fingerprint": source.fingerprint()}
    return {"kdf": "argon2id", "salt": salt, "t": crypto.ARGON2_TIME, "m": crypto.ARGON2_MEMORY_KIB,
            "p": crypto.ARGON2_PARALLELISM}


def derive_kek(source: KeySource, params: Mapping[str, Any], what: str = "this database") -> bytes:
    """The KEK of `params` from `source`; a clear error when the source is of the other kind or
    another key file. Argon2 runs once per process and salt (cached in memory)."""
    kdf = params.get("kdf")
    if kdf == "hkdf-sha256":
        if not isinstance(source, KeyFile):
            raise CryptoError(f"{what} is locked with a key file, not a passphrase",
                              hint=f"set KOLOKOL_KEY_FILE to the key file with fingerprint {params.get('fingerprint')}")
        master = source.master()
        if params.get("fingerprint") and key_fingerprint(master) != params["fingerprint"]:
            raise CryptoError(f"the key file {source.path} is not the key of {what}",
                              hint=f"use the key file with fingerprint {params['fingerprint']}")
        return crypto.hkdf_kek(master, crypto.unb64(params["salt"]))
    if kdf == "argon2id":
        if not isinstance(source, Passphrase):
            raise CryptoError(f"{what} is locked with a passphrase, not a key file",
                              hint="set KOLOKOL_PASSPHRASE (and unset KOLOKOL_KEY_FILE)")
        cache_key = hashlib.sha256(json.dumps(dict(params), sort_keys=True).encode() + b"\x00"
                                   + source.secret.encode("utf-8")).digest()
        kek = _kek_cache.get(cache_key)
        if kek is None:
            kek = crypto.argon2_kek(source.secret, crypto.unb64(params["salt"]), time_cost=int(params["t"]),
                                    memory_kib=int(params["m"]), parallelism=int(params["p"]))
            _kek_cache[cache_key] = kek
        return kek
    raise CryptoError(f"unknown key derivation {kdf!r}", hint="upgrade Kolokol")


def keyring_aad(key_id: str, purpose: str) -> bytes:
    return f"kolokol-keyring-v1|{key_id}|{purpose}".encode()


def wrap_entry(kek: bytes, kek_params: Mapping[str, Any], key_id: str, purpose: str,
               key: bytes) -> tuple[bytes, dict[str, Any]]:
    return crypto.wrap_key(kek, key, keyring_aad(key_id, purpose)), {"method": WRAP_METHOD, "kek": dict(kek_params)}


# ---------------------------------------------------------------------------------------- the keyring

KEYRING = models.KeyringEntry.__table__


@dataclass(slots=True)
class Keyring:
    """The unwrapped keys of a database (in memory only)."""

    data: dict[str, bytes] = field(repr=False)  # key id -> data key (every key still able to decrypt)
    active_data: str
    index: dict[str, bytes] = field(repr=False)  # key id -> index key
    active_index: str

    @property
    def index_key(self) -> bytes:
        return self.index[self.active_index]

    def database_keys(self) -> DatabaseKeys:
        return DatabaseKeys(crypto.FieldCipher(self.data, self.active_data), self.index_key,
                            key_ids=(self.active_data, self.active_index), audit_keys=audit_keys(self.index),
                            audit_key_id=self.active_index)


def audit_keys(index_keys: Mapping[str, bytes]) -> dict[str, bytes]:
    """The audit chain's MAC key of every index key (in keyring order, oldest first): retired ones
    still check the entries written before a rotation."""
    return {key_id: crypto.audit_mac_key(key) for key_id, key in index_keys.items()}


def read_entries(conn: Connection) -> list[Any]:
    return list(conn.execute(select(KEYRING).order_by(KEYRING.c.id)))


def unwrap_keyring(entries: Iterable[Any], source: KeySource) -> Keyring:
    """Every key of the keyring, unwrapped; CryptoError when `source` is not the database's key."""
    data: dict[str, bytes] = {}
    index: dict[str, bytes] = {}
    active_data = active_index = None
    keks: dict[str, bytes] = {}
    for e in entries:
        params = (e.wrapping or {}).get("kek") or {}
        if (e.wrapping or {}).get("method") != WRAP_METHOD:
            raise CryptoError(f"unknown key wrapping in keyring entry {e.key_id}", hint="upgrade Kolokol")
        marker = json.dumps(params, sort_keys=True)
        if marker not in keks:
            keks[marker] = derive_kek(source, params)
        key = crypto.unwrap_key(keks[marker], bytes(e.wrapped_key), keyring_aad(e.key_id, e.purpose))
        (data if e.purpose == "data" else index)[e.key_id] = key
        if e.active and e.purpose == "data" and active_data is None:
            active_data = e.key_id
        if e.active and e.purpose == "index" and active_index is None:
            active_index = e.key_id
    if active_data is None or active_index is None:
        raise CryptoError("the keyring has no active data or index key", hint="restore the database from a backup")
    return Keyring(data, active_data, index, active_index)


def _lock_keyring(conn: Connection) -> None:
    """Serialise keyring creation and rotation between processes."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("LOCK TABLE keyring IN EXCLUSIVE MODE"))
    else:  # a write statement takes SQLite's single write lock (and waits busy_timeout for it)
        conn.execute(text("DELETE FROM keyring WHERE 1 = 0"))


def sensitive_columns() -> dict[str, list[str]]:
    """Every table with encrypted columns, and those columns."""
    out: dict[str, list[str]] = {}
    for name, tbl in models.Base.metadata.tables.items():
        cols = [c.name for c in tbl.columns if isinstance(c.type, SensitiveText | SensitiveBytes | SensitiveJSON)]
        if cols:
            out[name] = cols
    return out


def has_sensitive_rows(conn: Connection) -> bool:
    return any(conn.execute(text(f"SELECT 1 FROM {name} LIMIT 1")).first() is not None
               for name in sensitive_columns())


def _insert_keys(conn: Connection, source: KeySource, data_key: bytes, index_key: bytes) -> tuple[str, str]:
    params = new_kek_params(source)
    kek = derive_kek(source, params)
    now = dt.datetime.now(dt.UTC)
    ids = []
    for purpose, key in (("data", data_key), ("index", index_key)):
        key_id = crypto.new_key_id()
        wrapped, wrapping = wrap_entry(kek, params, key_id, purpose, key)
        conn.execute(KEYRING.insert().values(key_id=key_id, purpose=purpose, wrapped_key=wrapped, wrapping=wrapping,
                                             active=True, created_at=now))
        ids.append(key_id)
    return ids[0], ids[1]


def unlock(engine: Engine, source: KeySource | None, *, encryption: bool = True) -> DatabaseKeys:
    """The keys of the database behind `engine` (created on first use when `encryption`).

    - an encrypted database needs its key source, whatever `encryption` says;
    - a database with no keyring and no sensitive rows gets new keys (when `encryption`) or stays
      in plain text (when not);
    - a plaintext database that already holds data is refused when `encryption` is on.
    """
    with engine.connect() as conn:
        entries = read_entries(conn)
        if not entries:
            has_rows = has_sensitive_rows(conn)
    if entries:
        if source is None:
            raise CryptoError("this database is encrypted and no key was given",
                              hint="set KOLOKOL_KEY_FILE or KOLOKOL_PASSPHRASE to its key")
        return unwrap_keyring(entries, source).database_keys()
    if not encryption:
        return PLAINTEXT
    if has_rows:
        raise CryptoError("this database is not encrypted",
                          hint="`kolokol key rotate` encrypts it; KOLOKOL_ENCRYPTION=off keeps it in plain text")
    if source is None:
        raise CryptoError("no encryption key: a new database is encrypted with a key file or a passphrase",
                          hint="run `kolokol key init`, or set KOLOKOL_KEY_FILE or KOLOKOL_PASSPHRASE "
                          "(KOLOKOL_ENCRYPTION=off makes an unencrypted database; see docs/encryption.md)")
    with engine.begin() as conn:
        _lock_keyring(conn)
        entries = read_entries(conn)
        if not entries:  # nobody else created them while we were not holding the lock
            if has_sensitive_rows(conn):
                raise CryptoError("this database is not encrypted", hint="`kolokol key rotate` encrypts it")
            index_key = crypto.random_key()
            _data_id, index_id = _insert_keys(conn, source, crypto.random_key(), index_key)
            audit.seal_new_head(conn, index_id, index_key)
            entries = read_entries(conn)
    return unwrap_keyring(entries, source).database_keys()


# ---------------------------------------------------------------------------------------- status


@dataclass(slots=True)
class KeyStatus:
    source: str | None  # how this process would unlock (never the secret)
    encrypted: bool | None  # None: no schema yet
    locked_with: str | None = None  # "key file <fingerprint>" or "passphrase (argon2id ...)"
    opens: bool | None = None  # the source unlocks the keyring
    problem: str | None = None
    entries: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "encrypted": self.encrypted, "locked_with": self.locked_with,
                "opens": self.opens, "problem": self.problem, "keys": self.entries}


def describe_params(params: Mapping[str, Any]) -> str:
    if params.get("kdf") == "hkdf-sha256":
        return f"key file {params.get('fingerprint')}"
    if params.get("kdf") == "argon2id":
        return f"passphrase (argon2id, {int(params['m']) // 1024} MiB, {params['t']} passes)"
    return str(params.get("kdf"))


def key_status(engine: Engine, source: KeySource | None) -> KeyStatus:
    """What `kolokol key status` prints: read only, never creates keys nor prints them."""
    from sqlalchemy import inspect

    described = None
    problem = None
    if source is not None:
        try:
            described = source.describe()
        except CryptoError as exc:
            described, problem = f"{source.kind} ({exc.message})", str(exc)
    if "keyring" not in inspect(engine).get_table_names():
        return KeyStatus(described, None, problem=problem)
    with engine.connect() as conn:
        entries = read_entries(conn)
    if not entries:
        return KeyStatus(described, False, problem=problem)
    rows = [{"key_id": e.key_id, "purpose": e.purpose, "active": bool(e.active),
             "created_at": e.created_at.isoformat() if e.created_at else None,
             "retired_at": e.retired_at.isoformat() if e.retired_at else None} for e in entries]
    params = ((entries[-1].wrapping or {}).get("kek")) or {}
    status = KeyStatus(described, True, locked_with=describe_params(params), entries=rows, problem=problem)
    if source is not None and problem is None:
        try:
            unwrap_keyring(entries, source)
            status.opens = True
        except CryptoError as exc:
            status.opens, status.problem = False, str(exc)
    else:
        status.opens = False
    return status


# ---------------------------------------------------------------------------------------- rotation


@dataclass(slots=True)
class RotationResult:
    rewrapped: int = 0  # keyring entries wrapped under the new key source
    reencrypted: int = 0  # values re-encrypted under the new data key
    reindexed: dict[str, int] = field(default_factory=dict)
    key_ids: tuple[str, ...] = ()


Progress = Callable[[str, int, int], None]  # (stage, done, total)


def _raw_table(name: str, cols: list[str], types: Mapping[str, Any]) -> Table:
    return table(name, column("id"), *[column(c, Text() if types[c] != "bytes" else LargeBinary()) for c in cols])


def _column_kinds(name: str) -> dict[str, str]:
    tbl = models.Base.metadata.tables[name]
    return {c.name: "bytes" if isinstance(c.type, SensitiveBytes) else "text" for c in tbl.columns
            if isinstance(c.type, SensitiveText | SensitiveBytes | SensitiveJSON)}


def recode_values(session: Session, old: FieldCodec, new: FieldCodec, progress: Progress | None = None,
                  batch: int = 500) -> int:
    """Decrypt every sensitive value with `old` and store it encrypted with `new` (raw SQL values,
    so JSON is never parsed). Runs in the caller's transaction."""
    count = 0
    work = {name: cols for name, cols in sensitive_columns().items()}
    totals = {name: session.scalar(text(f"SELECT count(*) FROM {name}")) or 0 for name in work}
    for name, cols in work.items():
        kinds = _column_kinds(name)
        raw = _raw_table(name, cols, kinds)
        ids = list(session.scalars(select(raw.c.id).order_by(raw.c.id)))
        done = 0
        for start in range(0, len(ids), batch):
            chunk = ids[start:start + batch]
            rows = session.execute(select(raw).where(raw.c.id.in_(chunk))).all()
            values = []
            for row in rows:
                item: dict[str, Any] = {"b_id": row.id}
                for c in cols:
                    value = getattr(row, c)
                    if value is None:
                        item[c] = None
                    elif kinds[c] == "bytes":
                        item[c] = new.encode_bytes(old.decode_bytes(bytes(value)))
                    else:
                        item[c] = new.encode_text(old.decode_text(value))
                values.append(item)
            if values:
                session.execute(update(raw).where(raw.c.id == bindparam("b_id"))
                                .values({c: bindparam(c) for c in cols}), values)
            done += len(chunk)
            count += len(rows) * len(cols)
            if progress:
                progress(f"re-encrypting {name}", done, totals[name])
    return count


def rebuild_blind_indexes(session: Session, progress: Progress | None = None) -> dict[str, int]:
    """Recompute every keyed hash under the current context's keys: actor name indexes, merge
    blocking keys, copy-detection bands and the search index."""
    from kolokol.ingest import dedupe
    from kolokol.resolve.actors import reindex_actors
    from kolokol.resolve.merge import write_keys
    from kolokol.search import _reindex

    out: dict[str, int] = {}
    if progress:
        progress("indexing actors", 0, 1)
    out["aliases"] = reindex_actors(session)
    mentions = list(session.scalars(select(models.Mention).where(models.Mention.current.is_(True))))
    for start in range(0, len(mentions), 500):
        write_keys(session, mentions[start:start + 500])
        if progress:
            progress("indexing merge keys", min(start + 500, len(mentions)), len(mentions))
    out["mentions"] = len(mentions)
    ids = list(session.scalars(select(models.Report.id).order_by(models.Report.id)))
    bands = models.ReportBand.__table__
    for n, report_id in enumerate(ids, 1):
        body = session.scalar(select(models.Report.clean_text).where(models.Report.id == report_id)) or ""
        session.execute(bands.delete().where(bands.c.report_id == report_id))
        rows = dedupe.band_hashes(dedupe.signature(body))
        session.execute(bands.insert(), [{"report_id": report_id, "band": b, "hash": h} for b, h in rows])
        if progress and (n % 50 == 0 or n == len(ids)):
            progress("indexing copy detection", n, len(ids))
    out["reports"] = len(ids)
    out["incidents"] = _reindex(session, None)
    if progress:
        progress("indexing search", 1, 1)
    return out


def rotate(db: Database, source: KeySource | None, *, new_source: KeySource | None = None, new_keys: bool = True,
           progress: Progress | None = None) -> RotationResult:
    """Rotate the keys of an open database in one transaction (all or nothing: a crash or kill
    leaves the database as it was).

    - `new_keys`: new random data and index keys; every sensitive value is re-encrypted and every
      blind index recomputed; the old keys stay in the keyring, retired, so that a process started
      before the rotation cannot write what nobody can read (stop such processes anyway: they
      would keep writing under the old keys);
    - `new_source`: the keyring is wrapped under this key file or passphrase from now on.

    Either way a `key.rotate` audit entry is appended in the same transaction, under the new audit
    key (derived from the new index key): the chain is not rewritten, entries before it stay checked
    with the retired index key's audit key, and a process still holding the old keys can no longer
    append to it.

    A plaintext database is encrypted by the same call (`new_keys` with a key source).
    """
    target = new_source or source
    if target is None:
        raise CryptoError("no key to lock the database with",
                          hint="run `kolokol key init`, or set KOLOKOL_KEY_FILE or KOLOKOL_PASSPHRASE")
    old_keys = db.keys
    result = RotationResult()
    with db.session() as s:
        conn = s.connection()
        _lock_keyring(conn)
        entries = read_entries(conn)
        if entries and source is None:
            raise CryptoError("this database is encrypted and no key was given",
                              hint="set KOLOKOL_KEY_FILE or KOLOKOL_PASSPHRASE to its current key")
        ring = unwrap_keyring(entries, source) if entries and source is not None else None
        if ring is None and not new_keys:
            raise CryptoError("this database is not encrypted: there are no keys to wrap",
                              hint="run `kolokol key rotate` without --keep-data-keys to encrypt it")
        params = new_kek_params(target)
        kek = derive_kek(target, params)
        now = dt.datetime.now(dt.UTC)
        for e in entries:  # every old entry under the new KEK (the keyring has one master at a time)
            assert ring is not None
            key = (ring.data if e.purpose == "data" else ring.index)[e.key_id]
            wrapped, wrapping = wrap_entry(kek, params, e.key_id, e.purpose, key)
            values: dict[str, Any] = {"wrapped_key": wrapped, "wrapping": wrapping}
            if new_keys:
                values.update(active=False, retired_at=e.retired_at or now)
            conn.execute(update(KEYRING).where(KEYRING.c.id == e.id).values(**values))
            result.rewrapped += 1
        if not new_keys:
            assert ring is not None
            result.key_ids = (ring.active_data, ring.active_index)
            audit.append(s, "key.rotate", details={"new_keys": False, "rewrapped": result.rewrapped})
            return result
        data_key, index_key = crypto.random_key(), crypto.random_key()
        ids = []
        for purpose, key in (("data", data_key), ("index", index_key)):
            key_id = crypto.new_key_id()
            wrapped, wrapping = wrap_entry(kek, params, key_id, purpose, key)
            conn.execute(KEYRING.insert().values(key_id=key_id, purpose=purpose, wrapped_key=wrapped,
                                                 wrapping=wrapping, active=True, created_at=now))
            ids.append(key_id)
        every_data_key = {**(ring.data if ring else {}), ids[0]: data_key}
        # Retired index keys keep their audit keys: the entries written before this rotation are
        # still checked with theirs, and the `key.rotate` entry below, under the new one, seals them.
        every_index_key = {**(ring.index if ring else {}), ids[1]: index_key}
        new = DatabaseKeys(crypto.FieldCipher(every_data_key, ids[0]), index_key, key_ids=(ids[0], ids[1]),
                           audit_keys=audit_keys(every_index_key), audit_key_id=ids[1])
        result.reencrypted = recode_values(s, old_keys.codec, crypto.FieldCipher({ids[0]: data_key}, ids[0]),
                                           progress)
        install_keys(db.engine.dialect, new)
        db.keys = new
        token = bind_keys(new)
        try:
            result.reindexed = rebuild_blind_indexes(s, progress)
            audit.append(s, "key.rotate", details={"new_keys": True, "data_key": ids[0], "index_key": ids[1],
                                                   "rewrapped": result.rewrapped, "encrypted": ring is None})
            s.flush()
        except BaseException:
            install_keys(db.engine.dialect, old_keys)
            db.keys = old_keys
            raise
        finally:
            release_keys(token)
        result.key_ids = (ids[0], ids[1])
    compact(db)
    return result


def compact(db: Database) -> None:
    """Rewrite the database files so no page keeps a value as it was before (SQLite: checkpoint
    the WAL, VACUUM; PostgreSQL: VACUUM FULL). Old WAL segments of PostgreSQL are recycled by the
    server in its own time."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if conn.dialect.name == "sqlite":
            if db.keys.encrypted:  # FTS5 keeps deleted terms in its segments until they are rebuilt
                conn.exec_driver_sql("INSERT INTO incident_search(incident_search) VALUES('rebuild')")
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.exec_driver_sql("VACUUM")
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            conn.exec_driver_sql("VACUUM FULL")
            with contextlib.suppress(SQLAlchemyError):  # needs superuser or pg_checkpoint: else the server's own
                conn.exec_driver_sql("CHECKPOINT")


def check_values(db: Database, batch: int = 500) -> int:
    """Decrypt every sensitive value of the database (after a restore, a crash, a rotation); returns
    how many there are, or raises CryptoError at the first that does not decrypt."""
    count = 0
    with db.session() as s:
        for name, cols in sensitive_columns().items():
            tbl = models.Base.metadata.tables[name]
            pk = next(iter(tbl.primary_key.columns))
            last = None
            while True:
                query = select(pk, *[tbl.c[c] for c in cols]).order_by(pk).limit(batch)
                if last is not None:
                    query = query.where(pk > last)
                rows = s.execute(query).all()
                if not rows:
                    break
                count += sum(1 for row in rows for value in row[1:] if value is not None)
                last = rows[-1][0]
    return count
