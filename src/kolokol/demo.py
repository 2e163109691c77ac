"""`kolokol demo`: build a database from the example reports shipped with Kolokol and show it.

The demo database is encrypted like any other. With a key configured (KOLOKOL_KEY_FILE,
KOLOKOL_PASSPHRASE, the default key file) it uses that key; on a fresh machine without one it
makes its own key file next to the database (`kolokol-demo.db.key`) and says so.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from kolokol.config import Settings
from kolokol.errors import KolokolError
from kolokol.security.keys import KeyFile, KeySource, create_key_file, key_source

EXAMPLES = Path(__file__).parent / "examples"


def example_reports() -> list[Path]:
    return sorted(p for p in EXAMPLES.glob("*.md") if not p.name.startswith("."))


def demo_key_file(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".key")


def demo_key(db_path: Path, settings: Settings, console: Console | None = None) -> KeySource:
    """The demo's own key file when it has one, else the configured key, else a new key file next
    to the demo database."""
    own = demo_key_file(db_path)
    if own.is_file():
        return KeyFile(own)
    configured = key_source(settings)
    if configured is not None:
        return configured
    created = create_key_file(own)
    if console is not None:
        console.print(f"No encryption key is configured: created {own} for the demo database (keep it with the "
                      "database; for real work make your own with `kolokol key init`).", markup=False)
    return created


def build_demo_database(db_path: Path, settings: Settings, *, fresh: bool = True,
                        console: Console | None = None, key: KeySource | None = None) -> str:
    """Ingest the examples (with extraction and merging) into an SQLite file; return its URL."""
    from kolokol.extract.store import store_extraction
    from kolokol.ingest import ingest_sources
    from kolokol.store.db import open_database
    from kolokol.update import update_incidents

    reports = example_reports()
    if not reports:
        raise KolokolError("no example reports found in the installed package", code="demo",
                           hint="reinstall Kolokol")
    if fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{db_path}"
    db = open_database(url, key=key or demo_key(db_path, settings, console), settings=settings)
    try:
        ingest_sources(db, [str(EXAMPLES)], settings, after_store=store_extraction,
                       progress=console is not None, console=console)
        update_incidents(db)
    finally:
        db.close()
    return url


def run_demo(db_path: Path, settings: Settings, *, fresh: bool = True, console: Console, serve: bool = False,
             port: int = 8000) -> None:
    from kolokol.store import models
    from kolokol.store.db import open_database

    key = demo_key(db_path, settings, console)
    url = build_demo_database(db_path, settings, fresh=fresh, console=console, key=key)
    db = open_database(url, key=key, settings=settings)
    try:
        with db.session() as s:
            reports = s.scalars(select(models.Report)).all()
            mentions = s.scalars(select(models.Mention).where(models.Mention.current.is_(True))).all()
            incidents = s.scalars(select(models.Incident)).all()
            console.print(f"[bold]Kolokol demo[/bold]: {len(reports)} example reports, {len(mentions)} "
                          f"report-level incidents, {len(incidents)} merged incidents in {db_path}",
                          markup=True)
            by_type: Counter[str] = Counter(t for i in incidents for t in i.types or [])
            by_country: Counter[str] = Counter(i.country or "?" for i in incidents)
            table = Table("type", "incidents", title="Incidents by type", box=None)
            for name, n in by_type.most_common():
                table.add_row(name, str(n))
            console.print(table)
            table = Table("country", "incidents", title="Incidents by country", box=None)
            for name, n in by_country.most_common():
                table.add_row(name, str(n))
            console.print(table)
            table = Table("id", "date", "country", "types", "sources", "evidence", title="Incidents",
                          box=None)
            for inc in sorted(incidents, key=lambda i: (i.date or "", i.id)):
                first = min(inc.mentions, key=lambda m: m.id) if inc.mentions else None
                table.add_row(str(inc.id), inc.date or "?", inc.country or "?", ", ".join(inc.types or []),
                              str(inc.independent_sources), (first.evidence if first else "")[:90])
            console.print(table)
    finally:
        db.close()
    own = isinstance(key, KeyFile) and key.path == demo_key_file(db_path)
    if not serve:
        prefix = f"KOLOKOL_KEY_FILE={key.path} " if own and isinstance(key, KeyFile) else ""
        console.print(f"Explore it: {prefix}kolokol --db {url} serve", markup=False)
        return
    from kolokol.web.app import serve as run_server

    if own and isinstance(key, KeyFile):  # the server opens the database itself, with the process's key
        os.environ.pop("KOLOKOL_PASSPHRASE", None)
        os.environ["KOLOKOL_KEY_FILE"] = str(key.path)

    console.print(f"Serving the demo at http://127.0.0.1:{port}/ (Ctrl+C to stop)")
    run_server(url, host="127.0.0.1", port=port)
