"""Errors that help: a short code, what went wrong, how to fix it. One renderer for CLI and web."""

from __future__ import annotations


class KolokolError(Exception):
    """A user-facing error. `str(err)` is one line: "[code] message (hint)"."""

    code = "error"

    def __init__(self, message: str, hint: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        if code:
            self.code = code

    def __str__(self) -> str:
        text = f"[{self.code}] {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text.replace("\n", " ")

    def to_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "message": self.message, "hint": self.hint}


class ConfigError(KolokolError):
    code = "config"


class DatabaseError(KolokolError):
    code = "database"


class IngestError(KolokolError):
    """One input could not be ingested; the batch goes on."""

    code = "ingest"


class NotFound(KolokolError):
    code = "not-found"
