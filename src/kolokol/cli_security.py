"""`kolokol key init|status|rotate`, `kolokol backup` and `kolokol restore` (docs/encryption.md).

Secrets never come from an argument (they would land in the shell history and the process list):
passphrases are read from the environment or a hidden prompt, keys from files. Nothing here prints
a key or a passphrase; key ids and fingerprints name keys without revealing them.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any

import typer

key_app = typer.Typer(help="Encryption at rest: create a key file, see which key is in use, rotate keys.",
                      no_args_is_help=True)
_cli: ModuleType | None = None


def register(app: typer.Typer, cli: ModuleType) -> None:
    """Attach these commands to the main CLI. `cli` is the running cli module (its `--db` and
    settings): under `python -m kolokol.cli` that is `__main__`, not a fresh import of kolokol.cli."""
    global _cli
    _cli = cli
    app.add_typer(key_app, name="key")
    app.command("backup")(backup_cmd)
    app.command("restore")(restore_cmd)


def _main() -> Any:
    if _cli is None:
        from kolokol import cli

        return cli
    return _cli


def _passphrase(env: str, prompt: str, *, confirm: bool) -> str:
    from kolokol.security.keys import check_passphrase

    secret = os.environ.get(env)
    if secret is None:
        if not sys.stdin.isatty():
            from kolokol.errors import KolokolError

            raise KolokolError(f"no passphrase: set {env} or run this in a terminal", code="key")
        secret = str(typer.prompt(prompt, hide_input=True, confirmation_prompt=confirm))
    return check_passphrase(secret).secret


@contextlib.contextmanager
def _progress(quiet: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    if quiet:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    err = _main().err

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=err,
                  transient=True) as bar:
        tasks: dict[str, int] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total or None)
            bar.update(tasks[stage], completed=done, total=total or None)

        yield update


Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]


@key_app.command("init")
def key_init(
    path: Annotated[Path | None, typer.Option("--path", help="Where to write it (default: the key_file setting, "
                                              "else $XDG_CONFIG_HOME/kolokol/kolokol.key).")] = None,
) -> None:
    """Create a key file: 256 random bits, readable by you only (0600). Databases created while it is
    the configured key are encrypted with it. Never overwrites an existing file."""
    out, settings = _main().out, _main().settings
    from kolokol.security.keys import create_key_file, default_key_file

    conf = settings()
    target = path or (Path(conf.key_file) if conf.key_file else default_key_file())
    created = create_key_file(target)
    out.print(f"created key file {created.path} (fingerprint {created.fingerprint()})", markup=False)
    configured = Path(conf.key_file).expanduser() if conf.key_file else default_key_file()
    if created.path.resolve() != configured.resolve():
        out.print(f"to use it: export KOLOKOL_KEY_FILE={created.path}", markup=False)
    out.print("Keep a copy offline (a USB stick in a safe place): without this file the database and its "
              "backups cannot be read.", markup=False)


@key_app.command("status")
def key_status_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Which key this process would use and whether it opens the database (exit code 1 when it does
    not). Prints key ids and fingerprints, never a key."""
    from sqlalchemy.engine import make_url

    out, settings = _main().out, _main().settings
    from kolokol.security.keys import key_source, key_status
    from kolokol.store.db import create_db_engine, normalise_url

    conf = settings()
    source = key_source(conf)
    parsed = make_url(normalise_url(conf.database_url))
    if parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).expanduser().exists():
        out.print(f"key source: {source.describe() if source else 'none configured'}", markup=False)
        out.print(f"database: {parsed.database} does not exist yet (it is encrypted when first opened with a key)",
                  markup=False)
        return
    engine = create_db_engine(conf.database_url)
    try:
        status = key_status(engine, source)
    finally:
        engine.dispose()
    if as_json:
        sys.stdout.write(json.dumps(status.to_dict(), indent=2) + "\n")
    else:
        out.print(f"key source: {status.source or 'none configured'}", markup=False)
        if status.encrypted is None:
            out.print("database: no keyring yet (keys are made when it is first opened with a key)", markup=False)
        elif not status.encrypted:
            out.print("database: NOT encrypted (`kolokol key rotate` encrypts it)", markup=False)
        else:
            out.print(f"database: encrypted, locked with {status.locked_with}", markup=False)
            for e in status.entries:
                state = "active" if e["active"] else f"retired {e['retired_at']}"
                out.print(f"  {e['purpose']:5} key {e['key_id']}  created {e['created_at']}  {state}", markup=False)
            out.print(f"opens with this key: {'yes' if status.opens else 'no'}", markup=False)
        if status.problem:
            out.print(f"problem: {status.problem}", markup=False)
    if status.encrypted and not status.opens:
        raise typer.Exit(1)


@key_app.command("rotate")
def key_rotate(
    new_key_file: Annotated[Path | None, typer.Option("--new-key-file", help="Wrap the keys under this key file "
                                                      "from now on (make it with `key init --path`).")] = None,
    new_passphrase: Annotated[bool, typer.Option("--new-passphrase", help="Wrap the keys under a new passphrase "
                                                 "(KOLOKOL_NEW_PASSPHRASE, else asked).")] = False,
    keep_data_keys: Annotated[bool, typer.Option("--keep-data-keys", help="Only re-wrap the keys under the new key "
                                                 "file or passphrase (fast); no re-encryption.")] = False,
    quiet: Quiet = False,
) -> None:
    """New data and index keys: every encrypted value is re-encrypted and every blind index rebuilt,
    in one transaction (an interruption changes nothing). Also encrypts a database that is not
    encrypted yet. Stop the web server and other Kolokol commands on this database first."""
    out, settings = _main().out, _main().settings
    from kolokol.errors import KolokolError
    from kolokol.security.keys import KeyFile, KeySource, Passphrase, key_source, rotate
    from kolokol.store.db import open_database

    if new_key_file is not None and new_passphrase:
        raise KolokolError("give --new-key-file or --new-passphrase, not both", code="key")
    if keep_data_keys and new_key_file is None and not new_passphrase:
        raise KolokolError("--keep-data-keys needs --new-key-file or --new-passphrase", code="key",
                           hint="without them there is nothing to re-wrap")
    conf = settings()
    source = key_source(conf)
    new_source: KeySource | None = None
    if new_key_file is not None:
        new_source = KeyFile(new_key_file.expanduser())
        new_source.master()  # a missing or unsafe file is refused before anything changes
    elif new_passphrase:
        new_source = Passphrase(_passphrase("KOLOKOL_NEW_PASSPHRASE", "New passphrase (12 characters or more)",
                                            confirm=True), origin="KOLOKOL_NEW_PASSPHRASE")
    db = open_database(conf.database_url, key=source, settings=conf, encryption=False)
    try:
        with _progress(quiet) as progress:
            result = rotate(db, source, new_source=new_source, new_keys=not keep_data_keys, progress=progress)
    finally:
        db.close()
    if keep_data_keys:
        out.print(f"re-wrapped {result.rewrapped} key(s) under the new key; data keys unchanged", markup=False)
    else:
        out.print(f"new data key {result.key_ids[0]} and index key {result.key_ids[1]}: re-encrypted "
                  f"{result.reencrypted} value(s), rebuilt the blind indexes", markup=False)
    if isinstance(new_source, KeyFile):
        out.print(f"the database now opens with {new_source.path}: set KOLOKOL_KEY_FILE={new_source.path}",
                  markup=False)
    elif new_source is not None:
        out.print("the database now opens with the new passphrase: set KOLOKOL_PASSPHRASE to it", markup=False)


def backup_cmd(
    output: Annotated[Path, typer.Argument(help="The backup file to write (must not exist).")],
    passphrase: Annotated[bool, typer.Option("--passphrase", help="Encrypt the backup with a passphrase of its own "
                                             "(KOLOKOL_BACKUP_PASSPHRASE, else asked) instead of the "
                                             "database's key.")] = False,
    quiet: Quiet = False,
) -> None:
    """Write the whole database to one encrypted file, with the keyring needed to restore it. It opens
    with the database's key file or passphrase, or with --passphrase."""
    opened_db, out, settings = _main().opened_db, _main().out, _main().settings
    from kolokol.security.backup import backup
    from kolokol.security.keys import Passphrase, key_source

    source = key_source(settings())
    secret = None
    if passphrase:
        secret = Passphrase(_passphrase("KOLOKOL_BACKUP_PASSPHRASE", "Backup passphrase (12 characters or more)",
                                        confirm=True), origin="KOLOKOL_BACKUP_PASSPHRASE")
    with opened_db() as db, _progress(quiet) as progress:
        result = backup(db, output, source=source, secret=secret, progress=progress)
    opens = "its passphrase" if secret is not None else (source.describe() if source else "?")
    out.print(f"wrote {result.path} ({result.payload}, schema {result.revision}); it opens with {opens}",
              markup=False)


def restore_cmd(
    backup_file: Annotated[Path, typer.Argument(help="A file written by `kolokol backup`.")],
    db: Annotated[str | None, typer.Option("--db", help="The empty database to restore into "
                                           "(default: the chosen database).")] = None,
    passphrase: Annotated[bool, typer.Option("--passphrase", help="The backup has a passphrase of its own "
                                             "(KOLOKOL_BACKUP_PASSPHRASE, else asked).")] = False,
    quiet: Quiet = False,
) -> None:
    """Restore a backup into an empty (or not yet existing) database, and check every encrypted value
    decrypts. The keys are re-wrapped under the key configured here, if any."""
    out, settings = _main().out, _main().settings
    from kolokol.security.backup import restore
    from kolokol.security.keys import Passphrase, check_values, key_source
    from kolokol.store.db import open_database

    conf = settings()
    url = db or conf.database_url
    target = key_source(conf)
    secret = target
    if passphrase:
        secret = Passphrase(_passphrase("KOLOKOL_BACKUP_PASSPHRASE", "Backup passphrase", confirm=False),
                            origin="KOLOKOL_BACKUP_PASSPHRASE")
    with _progress(quiet) as progress:
        result = restore(backup_file, url, secret=secret, target=target, progress=progress)
    restored = open_database(url, key=target or secret, settings=conf)
    try:
        values = check_values(restored)
    finally:
        restored.close()
    from sqlalchemy.engine import make_url

    shown = make_url(url).render_as_string(hide_password=True)
    out.print(f"restored {result.rows} row(s) into {shown}; {values} encrypted value(s) checked", markup=False)
    if target is None and isinstance(secret, Passphrase):
        out.print("it opens with the backup's passphrase: set KOLOKOL_PASSPHRASE to it, or `kolokol key rotate "
                  "--new-key-file`", markup=False)
