"""Column types for sensitive data: names, evidence, report text and raw bytes.

Every sensitive column goes through one `FieldCodec`. The default codec stores values as they
are; security/crypto.py installs an encrypting codec (AES-GCM with a wrapped data key) with
`set_field_codec`, so encryption at rest needs no schema change beyond these columns.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from sqlalchemy import LargeBinary, Text
from sqlalchemy.types import TypeDecorator


class FieldCodec(Protocol):
    def encode_text(self, value: str) -> str: ...
    def decode_text(self, value: str) -> str: ...
    def encode_bytes(self, value: bytes) -> bytes: ...
    def decode_bytes(self, value: bytes) -> bytes: ...


class PlainCodec:
    """Stores values unchanged (no key configured)."""

    def encode_text(self, value: str) -> str:
        return value

    def decode_text(self, value: str) -> str:
        return value

    def encode_bytes(self, value: bytes) -> bytes:
        return value

    def decode_bytes(self, value: bytes) -> bytes:
        return value


_codec: FieldCodec = PlainCodec()


def set_field_codec(codec: FieldCodec) -> None:
    global _codec
    _codec = codec


def field_codec() -> FieldCodec:
    return _codec


class SensitiveText(TypeDecorator[str]):
    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else _codec.encode_text(value)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else _codec.decode_text(value)


class SensitiveBytes(TypeDecorator[bytes]):
    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: bytes | None, dialect: Any) -> bytes | None:
        return None if value is None else _codec.encode_bytes(value)

    def process_result_value(self, value: bytes | None, dialect: Any) -> bytes | None:
        return None if value is None else _codec.decode_bytes(bytes(value))


class SensitiveJSON(TypeDecorator[Any]):
    """JSON serialised to text, then through the codec (so it can be encrypted like text)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        return _codec.encode_text(json.dumps(value, ensure_ascii=False, sort_keys=True))

    def process_result_value(self, value: str | None, dialect: Any) -> Any:
        if value is None:
            return None
        return json.loads(_codec.decode_text(value))
