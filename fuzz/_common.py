"""Shared by the harnesses: no network while fuzzing, and text from the fuzzer's bytes."""

from __future__ import annotations

import socket
from typing import Any


def no_network() -> None:
    """Fail every DNS lookup: a fuzzed feed must never make the harness fetch anything."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(-2, "network disabled while fuzzing")

    socket.getaddrinfo = refuse  # type: ignore[assignment]


def as_text(data: bytes) -> str:
    """The fuzzer's bytes as text, the way ingestion decodes a file (or as UTF-8 with replacements)."""
    from kolokol.errors import IngestError
    from kolokol.ingest.encoding import decode_bytes

    try:
        return decode_bytes(data)[0]
    except IngestError:
        return data.decode("utf-8", "replace")
