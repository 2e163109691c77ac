"""`kolokol demo`: build a database from the example reports shipped with Kolokol and show it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from kolokol.config import Settings
from kolokol.errors import KolokolError

EXAMPLES = Path(__file__).parent / "examples"


def example_reports() -> list[Path]:
    return sorted(p for p in EXAMPLES.glob("*.md") if not p.name.startswith("."))


def build_demo_database(db_path: Path, settings: Settings, *, fresh: bool = True,
                        console: Console | None = None) -> str:
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
    db = open_database(url)
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

    url = build_demo_database(db_path, settings, fresh=fresh, console=console)
    db = open_database(url)
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
    if not serve:
        console.print(f"Explore it: kolokol --db {url} serve")
        return
    from kolokol.web.app import serve as run_server

    console.print(f"Serving the demo at http://127.0.0.1:{port}/ (Ctrl+C to stop)")
    run_server(url, host="127.0.0.1", port=port)
