"""The `kolokol` command line. Thin: parse, call one library function, print.

Errors a user can fix are one line on stderr ("error: [code] message (hint)"); tracebacks only
with --debug.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from kolokol import __version__
from kolokol.config import Settings, load_settings
from kolokol.errors import KolokolError, NotFound

app = typer.Typer(
    name="kolokol",
    help="Kolokol turns reports of transnational repression into a sourced, reviewed database of "
    "incidents. The database is chosen with --db URL or KOLOKOL_DATABASE_URL (default: ./kolokol.db).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
reports_app = typer.Typer(help="Look at stored reports.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(reports_app, name="reports")
actors_app = typer.Typer(help="Persons, organisations and state bodies: aliases, histories, analysts' "
                         "merge / split / confirm.", no_args_is_help=True)
incidents_app = typer.Typer(help="Merged incidents: show one; analysts' merge and split (kept by every re-run).",
                            no_args_is_help=True)
app.add_typer(actors_app, name="actors")
app.add_typer(incidents_app, name="incidents")

from kolokol.cli_users import register as _register_accounts  # noqa: E402  users, audit, incidents publish

_register_accounts(app, incidents_app)

from kolokol.cli_security import register as _register_security  # noqa: E402  key, backup, restore

_register_security(app, sys.modules[__name__])  # this module, also when it runs as __main__

out = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, highlight=False)


class State:
    db_url: str | None = None
    debug: bool = False
    settings: Settings | None = None


state = State()


def settings() -> Settings:
    if state.settings is None:
        state.settings = load_settings({"database_url": state.db_url})
    return state.settings


def open_db() -> Any:
    from kolokol.store.db import open_database

    return open_database(settings().database_url)


@contextlib.contextmanager
def opened_db() -> Iterator[Any]:
    """The chosen database, open for one command and closed whatever happens."""
    db = open_db()
    try:
        yield db
    finally:
        db.close()


def _version(value: bool) -> None:
    if value:
        out.print(f"kolokol {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    db: Annotated[str | None, typer.Option("--db", help="Database URL (sqlite:///file.db or "
                                           "postgresql://user@host/db).", envvar=None)] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    state.db_url = db
    state.debug = debug
    state.settings = None


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the database schema to the latest version (Alembic migrations)."""
    from kolokol.store.db import create_db_engine, upgrade

    engine = create_db_engine(settings().database_url)
    try:
        before, after = upgrade(engine)
    finally:
        engine.dispose()
    if before == after:
        out.print(f"database already at revision {after}")
    else:
        out.print(f"database upgraded from {before or 'empty'} to {after}")


@app.command()
def ingest(
    sources: Annotated[list[str], typer.Argument(help="Files, directories, feeds or http(s) URLs.")],
    extract: Annotated[bool, typer.Option("--extract/--no-extract",
                                          help="Extract incidents from each new report.")] = True,
    max_file_mb: Annotated[float | None, typer.Option(help="Refuse inputs larger than this.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Read reports (text, Markdown with front matter, saved HTML pages, RSS/Atom feeds,
    directories, URLs), store each once, link syndicated copies, and extract incidents."""
    from dataclasses import replace

    from kolokol.ingest import ingest_sources, render_summary

    conf = settings()
    if max_file_mb is not None:
        conf = replace(conf, max_file_bytes=int(max_file_mb * 1024 * 1024))
    after_store = None
    if extract and conf.extract_on_ingest:
        from kolokol.extract.store import store_extraction

        after_store = store_extraction
    with opened_db() as db:
        summary = ingest_sources(db, sources, conf, after_store=after_store, progress=not quiet,
                                 console=err)
        if after_store is not None and (summary.new or summary.copies):
            from kolokol.update import update_incidents

            update_incidents(db)
    render_summary(summary, out)
    raise typer.Exit(summary.exit_code)


@reports_app.command("list")
def reports_list(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line, for scripts.")] = False,
    limit: Annotated[int, typer.Option(help="At most this many reports.")] = 100,
    offset: Annotated[int, typer.Option(help="Skip this many reports.")] = 0,
) -> None:
    """List stored reports, newest first."""
    from kolokol.store.reports import list_reports, report_to_dict

    with opened_db() as db, db.session() as s:
        rows = [report_to_dict(r) for r in list_reports(s, limit=limit, offset=offset)]
    if as_json:
        for row in rows:
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    table = Table("id", "published", "lang", "outlet", "title", "copy of", box=None)
    for row in rows:
        table.add_row(str(row["id"]), row["published"] or "", row["language"] or "", row["outlet"] or "",
                      (row["title"] or "")[:70], str(row["copy_of_id"] or ""))
    out.print(table)
    out.print(f"{len(rows)} report(s)")


@reports_app.command("show")
def reports_show(
    report_id: Annotated[int, typer.Argument(help="Report id (see `reports list`).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
    text: Annotated[bool, typer.Option("--text/--no-text", help="Include the clean text.")] = True,
) -> None:
    """Show one report: its metadata, the incidents extracted from it, and its clean text."""
    from kolokol.store.reports import get_report, report_to_dict

    with opened_db() as db, db.session() as s:
        report = get_report(s, report_id)
        if report is None:
            raise NotFound(f"no report with id {report_id}", hint="see `kolokol reports list`")
        data = report_to_dict(report, include_text=text)
        data["incidents"] = [
            {"id": m.id, "types": m.types, "date": m.date, "place": m.place, "country": m.country,
             "evidence": m.evidence}
            for m in sorted(report.mentions, key=lambda m: m.ordinal) if m.current
        ]
        from kolokol.security.audit import append

        append(s, "read.report", object_type="report", object_id=report_id)
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return
    for key in ("id", "source_id", "title", "outlet", "url", "published", "language", "kind", "origin",
                "content_hash", "copy_of_id", "copy_similarity", "chars", "ingested_at"):
        if data.get(key) not in (None, ""):
            out.print(f"[bold]{key}[/bold]: {data[key]}", markup=True)
    out.print(f"[bold]incidents[/bold]: {len(data['incidents'])}", markup=True)
    for inc in data["incidents"]:
        out.print(f"  - {', '.join(inc['types'])} {inc['date'] or '?'} {inc['place'] or ''} "
                  f"{inc['country'] or ''}: {inc['evidence'][:100]}")
    if text:
        out.print()
        out.print(data.get("text", ""), markup=False)


@app.command()
def extract(
    files: Annotated[list[Path], typer.Argument(help="Report files (text/Markdown with front matter, "
                                                "HTML) to extract incidents from.")],
    engine: Annotated[str | None, typer.Option(help="Extraction engine (default: rules).")] = None,
    explain: Annotated[bool, typer.Option("--explain", help="Add each incident's trace: the rules and "
                                          "merges that made it.")] = False,
) -> None:
    """Print one JSON line per report-level incident (the interchange format of GUIDELINES.md plus
    evidence spans). Nothing is stored."""
    from kolokol.extract.engines import get_engine
    from kolokol.ingest import read_source

    conf = settings()
    extractor = get_engine(engine or conf.engine, conf)
    failures = 0
    for path in files:
        for item in read_source(str(path), conf):
            if not hasattr(item, "text"):
                failures += 1
                err.print(f"error: {item.origin}: {item.reason}", markup=False)
                continue
            for mention in extractor.extract(item):
                record = mention.to_interchange()
                if explain:
                    record["trace"] = mention.trace
                sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    if failures and failures == len(files):
        raise typer.Exit(1)


@app.command()
def reextract(
    engine: Annotated[str | None, typer.Option(help="Extraction engine (default: rules).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Re-run even where the version is current.")] = False,
) -> None:
    """Re-run extraction over stored reports whose incidents came from another extractor version.
    Human edits and review decisions are kept."""
    from kolokol.extract.store import reextract_all
    from kolokol.update import update_incidents

    with opened_db() as db:
        count = reextract_all(db, settings(), engine=engine, force=force, console=err)
        update_incidents(db)
    out.print(f"re-extracted {count} report(s)")


@app.command("eval")
def evaluate_cmd(
    gold: Annotated[Path, typer.Argument(help="Gold incidents, JSON lines (GUIDELINES.md format).")],
    reports: Annotated[Path, typer.Argument(help="Folder of the gold's reports (front matter source_id).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the scores as JSON.")] = False,
    pred_out: Annotated[Path | None, typer.Option("--pred-out", help="Also write the predictions here.")]
    = None,
    engine: Annotated[str | None, typer.Option(help="Extraction engine (default: rules).")] = None,
) -> None:
    """Extract incidents from REPORTS and score them against GOLD: precision, recall, F1, slot
    accuracy, and the misses and false alarms with their evidence."""
    from kolokol.evaluate import evaluate_folder, render_evaluation

    conf = settings()
    result = evaluate_folder(gold, reports, conf, engine=engine, pred_out=pred_out)
    if as_json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    else:
        render_evaluation(result, out)


@app.command()
def demo(
    db_path: Annotated[Path, typer.Option("--db-path", help="Where to build the demo database.")]
    = Path("kolokol-demo.db"),
    fresh: Annotated[bool, typer.Option("--fresh/--keep", help="Start from an empty database.")] = True,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Then serve the web app on 127.0.0.1.")] = True,
    port: Annotated[int, typer.Option(help="Port for the web app.")] = 8000,
) -> None:
    """Build a database from the example reports shipped with Kolokol, show what was found, and serve
    the web app on this machine."""
    from kolokol.demo import run_demo

    run_demo(db_path, settings(), fresh=fresh, console=out, serve=serve, port=port)


@app.command("export")
def export_cmd(
    fmt: Annotated[str, typer.Option("--format", "-f", help="jsonl (report-level incidents, interchange format), "
                                     "incidents-jsonl (merged incidents), csv (ACLED columns) or geojson.")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")] = None,
    since: Annotated[str | None, typer.Option(help="Incidents on or after this date (YYYY[-MM[-DD]]).")] = None,
    country: Annotated[str | None, typer.Option(help="Incidents in this country (ISO alpha-2).")] = None,
    type_: Annotated[str | None, typer.Option("--type", help="Incidents of this type (e.g. detention).")] = None,
    status: Annotated[str | None, typer.Option(help="Incidents with this review status (e.g. new, accepted).")]
    = None,
    hxl: Annotated[bool, typer.Option("--hxl", help="csv: add a row of HXL hashtags under the header.")] = False,
    public: Annotated[bool, typer.Option("--public", help="Published incidents only, in their public form: "
                                         "pseudonymised, no confidential source, no evidence "
                                         "(jsonl, csv or geojson; docs/public-exports.md).")] = False,
    coarsen_date: Annotated[str | None, typer.Option(help="--public: dates to day, month (default) or year.")]
    = None,
    coarsen_place: Annotated[str | None, typer.Option(help="--public: places as recorded (place, default), "
                                                      "admin1 or country.")] = None,
    min_group: Annotated[int | None, typer.Option(help="--public: groups smaller than this are shown as "
                                                  "'fewer than N' (default 5).")] = None,
) -> None:
    """Export incidents. The filters apply to merged incidents in every format; no format contains
    report text, and only jsonl carries evidence sentences. With --public: published incidents only,
    as the public pages show them."""
    from kolokol.export import ExportError, ExportFilter, export
    from kolokol.export.public import PublicFilter, PublicOptions, export_public

    options: PublicOptions | None = None
    if public:
        if status or hxl:
            raise ExportError("--status and --hxl do not apply to --public", hint="a public export holds "
                              "published incidents only, in its own columns")
        options = PublicOptions.parse(coarsen_date=coarsen_date, coarsen_place=coarsen_place, min_group=min_group)
    elif coarsen_date or coarsen_place or min_group is not None:
        raise ExportError("--coarsen-date, --coarsen-place and --min-group apply to --public exports only")
    filters = ExportFilter.parse(since=since, country=country, type=type_, status=status)
    public_filters = PublicFilter.parse(type=type_, country=country, since=since)

    def write(stream: Any) -> Any:
        if options is not None:
            return export_public(db, fmt, stream, options=options, filters=public_filters)
        return export(db, fmt, stream, filters=filters, hxl=hxl)

    with opened_db() as db:
        if output is None:
            result = write(sys.stdout)
        else:
            tmp = output.with_name(output.name + ".part")
            try:
                with tmp.open("w", encoding="utf-8", newline="") as f:
                    result = write(f)
                tmp.replace(output)
            except OSError as exc:
                raise KolokolError(f"cannot write {output}: {exc.strerror}", code="export") from exc
            finally:
                tmp.unlink(missing_ok=True)
        from kolokol.security.audit import record

        record(db, "export", object_type="export", details={
            "format": fmt, "written": result.written, "filtered": not filters.empty, "to_file": output is not None,
            "public": public})
    for note in result.notes:
        err.print(f"note: {note}", markup=False)
    if output is not None:
        err.print(f"wrote {result.written} {'line' if fmt.endswith('jsonl') else 'record'}(s) to {output}",
                  markup=False)


@actors_app.command("list")
def actors_list(
    kind: Annotated[str | None, typer.Option(help="person, organization or agency.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    limit: Annotated[int, typer.Option(help="At most this many actors.")] = 100,
    offset: Annotated[int, typer.Option(help="Skip this many actors.")] = 0,
) -> None:
    """List actors, most mentioned first, with their aliases."""
    from kolokol.resolve.actors import actors_table

    with opened_db() as db:
        rows = actors_table(db, kind=kind, limit=limit, offset=offset)
    if as_json:
        for row in rows:
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    table = Table("id", "kind", "name", "mentions", "confirmed", "aliases", box=None)
    for row in rows:
        table.add_row(str(row["id"]), row["kind"], row["name"], str(row["mentions"] or 0),
                      "yes" if row["confirmed"] else "", "; ".join(a["alias"] for a in row["aliases"])[:80])
    out.print(table)
    out.print(f"{len(rows)} actor(s)")


@actors_app.command("show")
def actors_show(
    name: Annotated[str, typer.Argument(help="A name as any report writes it, or an actor id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """An actor's aliases and history: what happened to it (or what it did), oldest first."""
    from kolokol.resolve.history import show_actor

    with opened_db() as db:
        data = show_actor(db, name)
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return
    actor = data["actor"]
    out.print(f"[bold]#{actor['id']} {actor['name']}[/bold] ({actor['kind']}"
              f"{', confirmed' if actor['confirmed'] else ''})", markup=True)
    out.print("aliases: " + "; ".join(f"{a['alias']} ({a['source']} {a['confidence']:.2f})"
                                      for a in actor["aliases"]), markup=False)
    table = Table("date", "place", "types", "role", "incident", "sources", box=None)
    for e in data["history"]:
        table.add_row(e["date"] or "?", e["place"] or e["country"] or "", ", ".join(e["types"]), e["role"],
                      f"#{e['incident_id']}" if e["incident_id"] else "-",
                      f"{e['independent_sources']}: " + "; ".join(e["sources"]))
    out.print(table)
    for other in data["other_matches"]:
        out.print(f"also matches: #{other['id']} {other['name']} ({other['kind']})", markup=False)


@actors_app.command("merge")
def actors_merge(
    keep: Annotated[int, typer.Argument(help="Actor id that stays.")],
    other: Annotated[int, typer.Argument(help="Actor id merged into it.")],
) -> None:
    """Analyst: two actors are one. Kept by every later run."""
    from kolokol.resolve.actors import analyst_merge_actors
    from kolokol.security.roles import SYSTEM

    with opened_db() as db:
        actor = analyst_merge_actors(db, keep, other, user=SYSTEM)
    out.print(f"actor #{actor['id']} now has {len(actor['aliases'])} alias(es)")


@actors_app.command("split")
def actors_split(
    actor_id: Annotated[int, typer.Argument(help="Actor id.")],
    aliases: Annotated[list[str], typer.Argument(help="Aliases that belong to another actor.")],
) -> None:
    """Analyst: some names of an actor are someone else; they move to a new actor with their
    mentions. Kept by every later run."""
    from kolokol.resolve.actors import analyst_split_actor
    from kolokol.security.roles import SYSTEM

    with opened_db() as db:
        kept, new = analyst_split_actor(db, actor_id, aliases, user=SYSTEM)
    out.print(f"actor #{kept['id']} keeps {len(kept['aliases'])} alias(es); new actor #{new['id']} has "
              f"{len(new['aliases'])}")


@actors_app.command("confirm")
def actors_confirm(actor_id: Annotated[int, typer.Argument(help="Actor id.")]) -> None:
    """Analyst: this actor and its aliases are right. Kept by every later run."""
    from kolokol.resolve.actors import analyst_confirm_actor
    from kolokol.security.roles import SYSTEM

    with opened_db() as db:
        actor = analyst_confirm_actor(db, actor_id, user=SYSTEM)
    out.print(f"actor #{actor['id']} confirmed with {len(actor['aliases'])} alias(es)")


@incidents_app.command("show")
def incidents_show(
    ref: Annotated[str, typer.Argument(help="Incident id or key (merged_id in exports).")],
) -> None:
    """A merged incident as JSON: its sources and every value of each field side by side."""
    from kolokol.export.incidents import describe_incident

    with opened_db() as db:
        data = describe_incident(db, ref)
        from kolokol.security.audit import record

        record(db, "read.incident", object_type="incident", object_id=data["db_id"])
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


@contextlib.contextmanager
def _incident_hints() -> Iterator[None]:
    """The review workflow's "not found" errors point to the web pages; here, to the command line."""
    try:
        yield
    except NotFound as exc:
        exc.hint = "see `kolokol export --format incidents-jsonl`"
        raise


@incidents_app.command("merge")
def incidents_merge(
    first: Annotated[int, typer.Argument(help="Incident id.")],
    second: Annotated[int, typer.Argument(help="Incident id merged with it.")],
) -> None:
    """Analyst: two incidents are one act. Kept by every re-run and re-extraction. Audited."""
    from sqlalchemy import select

    from kolokol.review.workflow import merge_into
    from kolokol.security.roles import SYSTEM
    from kolokol.store import models

    with opened_db() as db, _incident_hints():
        # the review workflow, as the web app: status "merged", an emptied incident absorbed, audited
        merged = merge_into(db, first, second, user=SYSTEM)
        with db.session() as s:
            key = s.scalar(select(models.Incident.key).where(models.Incident.id == merged))
    out.print(f"merged into incident #{merged} ({key})")


@incidents_app.command("split")
def incidents_split(
    incident_id: Annotated[int, typer.Argument(help="Incident id.")],
    mentions: Annotated[list[int], typer.Argument(help="Mention ids that are another act (see `incidents show`).")],
) -> None:
    """Analyst: some reports of an incident tell another act. Kept by every re-run and re-extraction.
    Audited."""
    from kolokol.review.workflow import split_off
    from kolokol.security.roles import SYSTEM

    with opened_db() as db, _incident_hints():
        # the review workflow, as the web app: both parts get status "split", audited
        moved, kept = split_off(db, incident_id, mentions, user=SYSTEM)
    out.print(f"split into incidents #{moved} and #{kept}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on: loopback only until an admin account "
                                      "exists.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Run the web interface (pages and JSON API) on this machine."""
    from kolokol.web.app import serve as run_server

    run_server(settings().database_url, host=host, port=port)


def main() -> None:
    """Console entry point: one-line errors, tracebacks only with --debug."""
    debug = "--debug" in sys.argv[1:]
    try:
        code = app(standalone_mode=False)  # returns the exit code of typer.Exit in this mode
    except KolokolError as exc:
        if debug:
            raise
        err.print(f"error: {exc}", markup=False, soft_wrap=True)  # one line, however long
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # click usage errors and anything unexpected
        import click

        if isinstance(exc, click.exceptions.Abort):
            sys.exit(130)
        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if debug:
            raise
        first = str(exc).splitlines()[0] if str(exc) else ""
        err.print(f"error: [internal] {type(exc).__name__}: {first} (run with --debug for details)",
                  markup=False, soft_wrap=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    # Run as `python -m kolokol.cli`, this file is `__main__`, and the commands of cli_users and
    # cli_security import `kolokol.cli`: a second copy, whose --db was never set (they would open the
    # default database). Run that one copy, so every command sees the same options.
    from kolokol.cli import main as _main

    _main()
