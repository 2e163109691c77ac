"""Result types of ingestion: one failure per input that could not be read, and a batch summary."""

from __future__ import annotations

from dataclasses import dataclass, field


def one_line(text: str, limit: int = 300) -> str:
    """Collapse whitespace so a reason never spans lines, and keep it short."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class IngestFailure:
    """An input that could not be ingested. `reason` is one line and never quotes report text."""

    origin: str
    reason: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "reason", one_line(self.reason))


@dataclass
class IngestSummary:
    """What a batch did, input by input."""

    new: list[tuple[str, int]] = field(default_factory=list)  # (origin, report id)
    duplicates: list[tuple[str, int]] = field(default_factory=list)  # (origin, id already stored)
    copies: list[tuple[str, int, int, float]] = field(default_factory=list)  # (origin, id, original, sim)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (origin, one-line reason)

    @property
    def ingested(self) -> int:
        """Inputs that ended up in the database (stored now or already there)."""
        return len(self.new) + len(self.duplicates) + len(self.copies)

    @property
    def exit_code(self) -> int:
        """Non-zero only when nothing could be ingested and something failed or nothing was given."""
        # With nothing ingested, either something failed or nothing was given: both are errors.
        return 0 if self.ingested else 1
