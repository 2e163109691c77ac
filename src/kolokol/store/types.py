"""Column types for sensitive data: names, evidence, report text and raw bytes.

Every sensitive column goes through the `FieldCodec` of the database it is read from or written
to. The codec lives on the engine's dialect (`dialect.kolokol_keys`, a `DatabaseKeys`), not in a
module global: each engine has its own dialect instance, so two databases with different keys can
be open in one process (tests, a restore next to a live database) and the web server's threads all
see the keys of the one database they serve. `store/db.py` installs the keys when it opens a
database (security/keys.py unlocks them); an engine without keys refuses to read or write a
sensitive column rather than store it in clear.

The blind indexes (resolve/actors.py, the merge blocking keys, the search terms and the copy-detection
bands) are computed in Python, far from any engine, so `Database.session()` also binds the keys of
its database to the current context (`bind_keys`); `current_keys()` reads them back.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import LargeBinary, Text
from sqlalchemy.types import TypeDecorator

from kolokol.errors import KolokolError


class FieldCodec(Protocol):
    def encode_text(self, value: str) -> str: ...
    def decode_text(self, value: str) -> str: ...
    def encode_bytes(self, value: bytes) -> bytes: ...
    def decode_bytes(self, value: bytes) -> bytes: ...


class PlainCodec:
    """Stores values unchanged: a database created with encryption turned off."""

    def encode_text(self, value: str) -> str:
        return value

    def decode_text(self, value: str) -> str:
        return value

    def encode_bytes(self, value: bytes) -> bytes:
        return value

    def decode_bytes(self, value: bytes) -> bytes:
        return value


@dataclass(frozen=True, slots=True, eq=False)
class DatabaseKeys:
    """The keys of one open database. `index_key` is None for a plaintext database (the blind
    indexes then use their public default key: pseudonyms, not secrets). Each kind of blind index
    has its own key derived from the index key (`names`, `search`, `bands`). `audit_keys` are the MAC
    keys of the audit chain (security/audit.py), one per index key of the keyring, retired ones
    included, oldest first; new entries use `audit_key_id`'s. Both are empty for a plaintext database."""

    codec: FieldCodec = field(repr=False)
    index_key: bytes | None = field(default=None, repr=False)
    key_ids: tuple[str, ...] = ()  # keyring ids in use (never the keys): for `kolokol key status`
    audit_keys: dict[str, bytes] = field(default_factory=dict, repr=False)  # index key id -> audit MAC key
    audit_key_id: str | None = None
    _subkeys: dict[str, bytes] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        if self.index_key is not None:
            for label in ("names", "search", "bands"):
                self._subkeys[label] = hmac.new(self.index_key, b"kolokol-subkey\x00" + label.encode(),
                                                hashlib.sha256).digest()

    @property
    def encrypted(self) -> bool:
        return not isinstance(self.codec, PlainCodec)

    def subkey(self, label: str) -> bytes | None:
        """The key of one kind of blind index (None for a plaintext database)."""
        return self._subkeys.get(label)


PLAINTEXT = DatabaseKeys(PlainCodec())


def keys_of(dialect: Any) -> DatabaseKeys:
    """The keys installed on a dialect (engine) by `open_database`. Refuses when there are none:
    an engine opened some other way must not read ciphertext as text or write names in clear."""
    keys = getattr(dialect, "kolokol_keys", None)
    if keys is None:
        raise KolokolError("this database connection was opened without the database's keys", code="key",
                           hint="open databases with kolokol.store.db.open_database")
    return keys  # type: ignore[no-any-return]


def install_keys(dialect: Any, keys: DatabaseKeys) -> None:
    dialect.kolokol_keys = keys


_current: contextvars.ContextVar[DatabaseKeys | None] = contextvars.ContextVar("kolokol_keys", default=None)


def bind_keys(keys: DatabaseKeys) -> contextvars.Token[DatabaseKeys | None]:
    """Make `keys` the current database's keys in this context (thread, task) until `release_keys`."""
    return _current.set(keys)


def release_keys(token: contextvars.Token[DatabaseKeys | None]) -> None:
    # Released from another context (a generator closed elsewhere): nothing to undo in this one.
    with contextlib.suppress(ValueError):
        _current.reset(token)


def current_keys() -> DatabaseKeys | None:
    """The keys of the database whose session is open in this context, if any."""
    return _current.get()


def current_index_key() -> bytes | None:
    """The secret key of the name indexes (resolve/actors.py) of the current database, if it has one."""
    keys = _current.get()
    return None if keys is None else keys.subkey("names")


def current_band_key() -> bytes:
    """The key of the copy-detection band hashes of the current database (b"" when plaintext)."""
    keys = _current.get()
    key = None if keys is None else keys.subkey("bands")
    return key or b""


class SensitiveText(TypeDecorator[str]):
    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else keys_of(dialect).codec.encode_text(value)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else keys_of(dialect).codec.decode_text(value)


class SensitiveBytes(TypeDecorator[bytes]):
    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: bytes | None, dialect: Any) -> bytes | None:
        return None if value is None else keys_of(dialect).codec.encode_bytes(value)

    def process_result_value(self, value: bytes | None, dialect: Any) -> bytes | None:
        return None if value is None else keys_of(dialect).codec.decode_bytes(bytes(value))


class SensitiveJSON(TypeDecorator[Any]):
    """JSON serialised to text, then through the codec (so it can be encrypted like text)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        return keys_of(dialect).codec.encode_text(json.dumps(value, ensure_ascii=False, sort_keys=True))

    def process_result_value(self, value: str | None, dialect: Any) -> Any:
        if value is None:
            return None
        return json.loads(keys_of(dialect).codec.decode_text(value))
