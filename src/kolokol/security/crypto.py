"""Cryptographic primitives of encryption at rest. Only `cryptography` (AES-GCM, HKDF) and
`argon2-cffi` (Argon2id); nothing here is home-made beyond how the pieces are put together.

- Field values: AES-256-GCM with a random 96-bit nonce per value, under the database's data key.
  A value is ``version | key id (8 bytes) | nonce | ciphertext+tag``; text columns hold it as
  ``"k1:" + base64``. Text is padded to a multiple of 16 bytes first, so the stored length tells
  only roughly how long a name is. The key id says which keyring entry decrypts the value, so a
  key rotation interrupted half way leaves a database that still reads.
- Key wrapping: a data or index key is encrypted (AES-256-GCM, associated data = its key id and
  purpose) by a key-encryption key (KEK) derived from the key file (HKDF-SHA256, the file holds
  256 random bits) or from a passphrase (Argon2id with a per-database salt).
- Audit chain: each link is an HMAC-SHA256 under a key derived (HKDF, label `audit-chain mac v1`)
  from an index key of the keyring, so only a holder of the database's key can extend or rewrite it.
- Streams (backups): AES-256-GCM over 1 MiB chunks with a per-stream random key; each chunk's
  nonce is its number and its associated data binds the stream header, the number and whether it
  is the last chunk, so a reordered, cut or extended stream is refused.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import struct
from collections.abc import Iterator, Mapping
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kolokol.errors import KolokolError

KEY_BYTES = 32
NONCE_BYTES = 12
KEY_ID_BYTES = 8
FIELD_VERSION = 1
TEXT_PREFIX = "k1:"
_FIELD_AAD = {"text": b"kolokol-field-v1:text", "bytes": b"kolokol-field-v1:bytes"}
PAD_BLOCK = 16

# Argon2id costs for passphrases (RFC 9106, second recommended option): about a third of a second
# here, paid once per process and database.
ARGON2_TIME = 3
ARGON2_MEMORY_KIB = 64 * 1024
ARGON2_PARALLELISM = 4

CHUNK_BYTES = 1024 * 1024


class CryptoError(KolokolError):
    """A key does not fit, or stored ciphertext does not decrypt. Never carries key material."""

    code = "key"


def random_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def new_key_id() -> str:
    """A keyring id: 16 hex digits, random (it names a key, it reveals nothing of it)."""
    return secrets.token_hex(KEY_ID_BYTES)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise CryptoError("stored key material is not valid base64", hint="the keyring or file was damaged") from exc


# ---------------------------------------------------------------------------------------- KDFs


def hkdf_kek(master: bytes, salt: bytes, info: bytes = b"kolokol keyring kek v1") -> bytes:
    """KEK from a key file's 256 random bits: HKDF-SHA256 is enough (no passphrase to stretch)."""
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=salt, info=info).derive(master)


AUDIT_MAC_INFO = b"kolokol audit-chain mac v1"


def audit_mac_key(index_key: bytes) -> bytes:
    """The audit chain's HMAC key, derived from an index key of the keyring (HKDF-SHA256 with its
    own label): never the index key itself, and independent of every key derived from it for the
    blind indexes."""
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=AUDIT_MAC_INFO).derive(index_key)


def argon2_kek(passphrase: str, salt: bytes, *, time_cost: int = ARGON2_TIME, memory_kib: int = ARGON2_MEMORY_KIB,
               parallelism: int = ARGON2_PARALLELISM) -> bytes:
    """KEK from a passphrase: Argon2id, so each guess costs an attacker the same time and memory."""
    from argon2.low_level import Type, hash_secret_raw

    return hash_secret_raw(passphrase.encode("utf-8"), salt, time_cost=time_cost, memory_cost=memory_kib,
                           parallelism=parallelism, hash_len=KEY_BYTES, type=Type.ID)


# ---------------------------------------------------------------------------------------- key wrapping


def wrap_key(kek: bytes, key: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(kek).encrypt(nonce, key, aad)


def unwrap_key(kek: bytes, blob: bytes, aad: bytes) -> bytes:
    """The wrapped key, or CryptoError when the KEK is not the one it was wrapped with."""
    if len(blob) != NONCE_BYTES + KEY_BYTES + 16:
        raise CryptoError("a wrapped key has the wrong length", hint="the keyring or backup was damaged")
    try:
        return AESGCM(kek).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
    except InvalidTag:
        raise CryptoError("the key does not open this database",
                          hint="check KOLOKOL_KEY_FILE or KOLOKOL_PASSPHRASE") from None


# ---------------------------------------------------------------------------------------- field values


def _pad(data: bytes) -> bytes:
    data += b"\x80"
    return data + b"\x00" * (-len(data) % PAD_BLOCK)


def _unpad(data: bytes) -> bytes:
    end = data.rfind(b"\x80")
    if end < 0 or data[end + 1:].strip(b"\x00"):
        raise CryptoError("a stored value has bad padding", hint="the database was damaged or tampered with")
    return data[:end]


class FieldCipher:
    """The `FieldCodec` of an encrypted database: encrypts with the active data key and decrypts
    with whichever keyring key a value names."""

    def __init__(self, keys: Mapping[str, bytes], active: str) -> None:
        if active not in keys:
            raise ValueError("the active key must be one of the keys")
        self._aead = {bytes.fromhex(key_id): AESGCM(key) for key_id, key in keys.items()}
        self.active = active
        self._active_id = bytes.fromhex(active)
        self._active = self._aead[self._active_id]
        self._header = bytes([FIELD_VERSION]) + self._active_id

    def __repr__(self) -> str:  # never the keys
        return f"FieldCipher(active={self.active!r}, keys={len(self._aead)})"

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(k.hex() for k in self._aead)

    def _seal(self, data: bytes, kind: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return self._header + nonce + self._active.encrypt(nonce, data, _FIELD_AAD[kind])

    def _open(self, blob: bytes, kind: str) -> bytes:
        head = 1 + KEY_ID_BYTES
        if len(blob) < head + NONCE_BYTES + 16 or blob[0] != FIELD_VERSION:
            raise CryptoError("a value in the database is not encrypted as Kolokol encrypts",
                              hint="the database was damaged or changed outside Kolokol")
        aead = self._aead.get(blob[1:head])
        if aead is None:
            raise CryptoError(f"a value is encrypted with key {blob[1:head].hex()}, which is not in the keyring",
                              hint="restore the keyring from a backup")
        try:
            return aead.decrypt(blob[head:head + NONCE_BYTES], blob[head + NONCE_BYTES:], _FIELD_AAD[kind])
        except InvalidTag:
            raise CryptoError("a value in the database does not decrypt (changed or damaged)",
                              hint="restore it from a backup") from None

    def key_id_of(self, stored: str | bytes) -> str | None:
        """Which key a stored value is encrypted with (None when it is not a Kolokol ciphertext)."""
        if isinstance(stored, str):
            if not stored.startswith(TEXT_PREFIX):
                return None
            try:
                stored = base64.b64decode(stored[len(TEXT_PREFIX):len(TEXT_PREFIX) + 16])
            except (binascii.Error, ValueError):
                return None
        if len(stored) < 1 + KEY_ID_BYTES or stored[0] != FIELD_VERSION:
            return None
        return bytes(stored[1:1 + KEY_ID_BYTES]).hex()

    def encode_text(self, value: str) -> str:
        return TEXT_PREFIX + b64(self._seal(_pad(value.encode("utf-8")), "text"))

    def decode_text(self, value: str) -> str:
        if not value.startswith(TEXT_PREFIX):
            raise CryptoError("a text value in the database is not encrypted",
                              hint="the database was damaged or written without its key")
        try:
            blob = base64.b64decode(value[len(TEXT_PREFIX):], validate=True)
        except (binascii.Error, ValueError):
            raise CryptoError("an encrypted text value is damaged", hint="restore it from a backup") from None
        return _unpad(self._open(blob, "text")).decode("utf-8")

    def encode_bytes(self, value: bytes) -> bytes:
        return self._seal(value, "bytes")

    def decode_bytes(self, value: bytes) -> bytes:
        return self._open(value, "bytes")


# ---------------------------------------------------------------------------------------- streams

_RECORD = struct.Struct(">IB")  # ciphertext length, final flag


def _chunk_aad(header_digest: bytes, index: int, final: bool) -> bytes:
    return header_digest + index.to_bytes(8, "big") + (b"\x01" if final else b"\x00")


def encrypt_stream(chunks: Iterator[bytes], out: BinaryIO, key: bytes, header_digest: bytes) -> int:
    """Write `chunks` (each at most CHUNK_BYTES) encrypted to `out`; returns the plaintext length.
    The last record carries the final flag, even when it is empty."""
    aead = AESGCM(key)
    total, index = 0, 0
    pending: bytes | None = None
    for chunk in chunks:
        if pending is not None:
            _write_record(out, aead, pending, header_digest, index, final=False)
            index += 1
        pending = chunk
        total += len(chunk)
    _write_record(out, aead, pending or b"", header_digest, index, final=True)
    return total


def _write_record(out: BinaryIO, aead: AESGCM, data: bytes, digest: bytes, index: int, *, final: bool) -> None:
    sealed = aead.encrypt(index.to_bytes(NONCE_BYTES, "big"), data, _chunk_aad(digest, index, final))
    out.write(_RECORD.pack(len(sealed), 1 if final else 0))
    out.write(sealed)


def decrypt_stream(src: BinaryIO, key: bytes, header_digest: bytes) -> Iterator[bytes]:
    """The plaintext chunks of a stream written by `encrypt_stream`. Raises CryptoError on any
    change: a flipped bit, a missing, repeated or reordered chunk, a cut end or trailing bytes."""
    aead = AESGCM(key)
    index = 0
    while True:
        head = src.read(_RECORD.size)
        if len(head) < _RECORD.size:
            raise CryptoError("the backup is truncated", hint="copy it again from where it was kept")
        size, final = _RECORD.unpack(head)
        if size > CHUNK_BYTES + 16 or final not in (0, 1):
            raise CryptoError("the backup is damaged", hint="copy it again from where it was kept")
        sealed = src.read(size)
        if len(sealed) < size:
            raise CryptoError("the backup is truncated", hint="copy it again from where it was kept")
        try:
            data = aead.decrypt(index.to_bytes(NONCE_BYTES, "big"), sealed,
                                _chunk_aad(header_digest, index, bool(final)))
        except InvalidTag:
            raise CryptoError("the backup was changed or damaged (authentication failed)",
                              hint="use an intact copy") from None
        yield data
        if final:
            if src.read(1):
                raise CryptoError("the backup has data after its end", hint="use an intact copy")
            return
        index += 1
