"""Fixtures of the extraction tests: one rules engine for the whole run (its models load once)."""

from __future__ import annotations

import pytest

from kolokol.extract.engines import RulesEngine


@pytest.fixture(scope="session")
def engine() -> RulesEngine:
    return RulesEngine()
