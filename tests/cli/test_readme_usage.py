"""The README's usage block names every command the CLI has, so the list cannot fall behind the code."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer

from kolokol.cli import app

README = Path(__file__).resolve().parents[2] / "README.md"


def _usage_block() -> list[str]:
    text = README.read_text(encoding="utf-8")
    block = text.split("## Usage", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    return block.splitlines()


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Leaf command paths of a Typer/Click group (anything with `.commands` is a group)."""
    found: list[tuple[str, ...]] = []
    for name, command in group.commands.items():
        if command.hidden:
            continue
        if getattr(command, "commands", None) is not None:
            found += _commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


def _entries(lines: list[str]) -> dict[str, str]:
    """Each top-level command's usage text: its `kolokol X ...` lines plus their continuation lines."""
    entries: dict[str, str] = {}
    current = None
    for line in lines:
        head = re.match(r"kolokol (\S+)", line)
        if head:
            current = head.group(1)
            entries[current] = entries.get(current, "") + " " + line
        elif current and line.strip():
            entries[current] += " " + line
    return entries


def test_every_cli_command_is_in_the_readme_usage_block() -> None:
    commands = _commands(typer.main.get_command(app))
    assert len(commands) > 20, commands
    entries = _entries(_usage_block())
    missing = [" ".join(path) for path in commands
               if path[0] not in entries or not all(re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])",
                                                              entries[path[0]]) for word in path[1:])]
    assert not missing, f"commands missing from the README usage block: {missing}"


def test_the_readme_names_no_command_the_cli_lacks() -> None:
    tops = {path[0] for path in _commands(typer.main.get_command(app))}  # type: ignore[arg-type]
    named = set(_entries(_usage_block()))
    assert named <= tops, f"the README names commands that do not exist: {sorted(named - tops)}"
