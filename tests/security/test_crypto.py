"""The primitives: field encryption, key wrapping, KDFs and the authenticated backup stream."""

from __future__ import annotations

import base64
import io

import pytest

from kolokol.security import crypto
from kolokol.security.crypto import CryptoError, FieldCipher

KEY_A, KEY_B = "a1" * 8, "b2" * 8


def cipher() -> FieldCipher:
    return FieldCipher({KEY_A: b"\x01" * 32, KEY_B: b"\x02" * 32}, KEY_B)


@pytest.mark.parametrize("value", ["", "Зульвира Клумторова", "x" * 10_000, "emoji 🕊 and\nnewlines\x00"])
def test_text_round_trips_and_is_never_the_same_twice(value: str) -> None:
    c = cipher()
    first, second = c.encode_text(value), c.encode_text(value)
    assert first != second  # a fresh nonce per value: equal names do not show as equal ciphertexts
    assert first.startswith(crypto.TEXT_PREFIX)
    if value:
        assert value not in first
    assert c.decode_text(first) == c.decode_text(second) == value
    assert c.key_id_of(first) == KEY_B


def test_bytes_round_trip_and_key_id() -> None:
    c = cipher()
    sealed = c.encode_bytes(b"raw report bytes")
    assert b"raw report" not in sealed
    assert c.decode_bytes(sealed) == b"raw report bytes"
    assert c.key_id_of(sealed) == KEY_B


def test_padding_hides_the_exact_length_of_short_names() -> None:
    c = cipher()
    assert len({len(c.encode_text("Ali")), len(c.encode_text("Alexandra Iv"))}) == 1


def test_older_keys_still_decrypt_and_new_values_use_the_active_key() -> None:
    old = FieldCipher({KEY_A: b"\x01" * 32}, KEY_A)
    value = old.encode_text("Qlumtorova")
    assert cipher().decode_text(value) == "Qlumtorova"
    assert cipher().key_id_of(cipher().encode_text("x")) == KEY_B


def test_changed_unknown_or_clear_values_are_refused() -> None:
    c = cipher()
    sealed = c.encode_text("Hrazmunk")
    raw = bytearray(base64.b64decode(sealed[3:]))
    raw[-1] ^= 1
    with pytest.raises(CryptoError, match="does not decrypt"):
        c.decode_text("k1:" + base64.b64encode(bytes(raw)).decode())
    with pytest.raises(CryptoError, match="not encrypted"):
        c.decode_text("Hrazmunk")
    stranger = FieldCipher({"c3" * 8: b"\x03" * 32}, "c3" * 8)
    with pytest.raises(CryptoError, match="not in the keyring"):
        c.decode_text(stranger.encode_text("Hrazmunk"))
    with pytest.raises(CryptoError):  # a bytes ciphertext is not accepted as text (and vice versa)
        c.decode_text("k1:" + base64.b64encode(c.encode_bytes(b"Hrazmunk")).decode())
    with pytest.raises(CryptoError):
        c.decode_bytes(base64.b64decode(sealed[3:]))


def test_repr_never_shows_a_key() -> None:
    assert "\\x01" not in repr(cipher()) and "\\x02" not in repr(cipher())


def test_wrapped_keys_open_only_with_their_kek_and_label() -> None:
    kek, key = crypto.random_key(), crypto.random_key()
    wrapped = crypto.wrap_key(kek, key, b"id|data")
    assert key not in wrapped
    assert crypto.unwrap_key(kek, wrapped, b"id|data") == key
    with pytest.raises(CryptoError, match="does not open"):
        crypto.unwrap_key(crypto.random_key(), wrapped, b"id|data")
    with pytest.raises(CryptoError, match="does not open"):
        crypto.unwrap_key(kek, wrapped, b"id|index")  # a data key cannot pass for an index key


def test_kdfs_depend_on_secret_and_salt() -> None:
    master, salt = b"m" * 32, b"s" * 16
    assert crypto.hkdf_kek(master, salt) == crypto.hkdf_kek(master, salt)
    assert crypto.hkdf_kek(master, salt) != crypto.hkdf_kek(master, b"t" * 16)
    cheap = {"time_cost": 1, "memory_kib": 8, "parallelism": 1}
    one = crypto.argon2_kek("correct horse battery", salt, **cheap)
    assert one == crypto.argon2_kek("correct horse battery", salt, **cheap)
    assert one != crypto.argon2_kek("correct horse batterY", salt, **cheap)
    assert len(one) == crypto.KEY_BYTES


def _stream(data: bytes, key: bytes, digest: bytes) -> bytes:
    out = io.BytesIO()
    chunks = [data[i:i + crypto.CHUNK_BYTES] for i in range(0, len(data), crypto.CHUNK_BYTES)]
    assert crypto.encrypt_stream(iter(chunks), out, key, digest) == len(data)
    return out.getvalue()


@pytest.mark.parametrize("size", [0, 10, crypto.CHUNK_BYTES, 2 * crypto.CHUNK_BYTES + 5])
def test_streams_round_trip(size: int) -> None:
    key, digest = crypto.random_key(), b"h" * 32
    data = bytes(range(256)) * (size // 256) + b"z" * (size % 256)
    sealed = _stream(data, key, digest)
    assert b"".join(crypto.decrypt_stream(io.BytesIO(sealed), key, digest)) == data


def test_streams_refuse_any_change() -> None:
    key, digest = crypto.random_key(), b"h" * 32
    data = b"q" * (2 * crypto.CHUNK_BYTES + 100)
    sealed = _stream(data, key, digest)

    def read(blob: bytes, d: bytes = digest) -> bytes:
        return b"".join(crypto.decrypt_stream(io.BytesIO(blob), key, d))

    flipped = bytearray(sealed)
    flipped[len(sealed) // 2] ^= 0x40
    with pytest.raises(CryptoError, match="changed or damaged"):
        read(bytes(flipped))
    for cut in (len(sealed) - 1, len(sealed) - 200, crypto.CHUNK_BYTES + 21, 3):
        with pytest.raises(CryptoError, match=r"truncated|changed"):
            read(sealed[:cut])
    record = 5 + crypto.CHUNK_BYTES + 16
    with pytest.raises(CryptoError, match=r"truncated|changed"):  # the last chunk dropped exactly
        read(sealed[:2 * record])
    with pytest.raises(CryptoError, match="changed"):  # two whole chunks swapped
        read(sealed[record:2 * record] + sealed[:record] + sealed[2 * record:])
    with pytest.raises(CryptoError, match="after its end"):
        read(sealed + b"x")
    with pytest.raises(CryptoError, match="changed"):  # bound to its header
        read(sealed, b"H" * 32)
