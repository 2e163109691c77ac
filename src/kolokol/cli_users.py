"""`kolokol users ...`, `kolokol audit ...` and `kolokol incidents publish|unpublish`.

Run on the server by whoever holds the database (the operator, audited as user id none). There is no
default account: the first admin is `kolokol users add NAME --role admin`. Passwords are read from a
hidden prompt, or one line of standard input with --password-stdin; never from an argument (it would
land in the shell history and the process list). A TOTP secret is printed once, for the account's
owner to type into an authenticator app; it is not shown again.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from typing import Annotated, Any

import typer

from kolokol.errors import KolokolError

users_app = typer.Typer(help="Accounts of the web app: add, list, disable / enable, roles, second factor.",
                        no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit log: verify its keyed chain, list entries.",
                        no_args_is_help=True)


def register(app: typer.Typer, incidents_app: typer.Typer) -> None:
    """Attach these commands to the main CLI (called from cli.py)."""
    app.add_typer(users_app, name="users")
    app.add_typer(audit_app, name="audit")
    incidents_app.command("publish")(incidents_publish)
    incidents_app.command("unpublish")(incidents_unpublish)


def _read_password(from_stdin: bool, *, confirm: bool = True) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise KolokolError("no password on standard input", code="password")
        return password
    return str(typer.prompt("Password (12 characters or more)", hide_input=True, confirmation_prompt=confirm))


def _show_totp(username: str, secret: str | None, uri: str | None) -> None:
    from kolokol.cli import out

    if not secret or not uri:
        return
    out.print(f"Second factor for {username}: add this to an authenticator app now; it is shown only once.",
              markup=False)
    out.print(f"  secret: {' '.join(secret[i:i + 4] for i in range(0, len(secret), 4))}", markup=False)
    out.print(f"  uri:    {uri}", markup=False)


PasswordStdin = Annotated[bool, typer.Option("--password-stdin", help="Read the password from one line of "
                                             "standard input instead of a prompt.")]


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="Login name: 2-40 lower-case letters, digits, '.', '_', '-'.")],
    role: Annotated[str, typer.Option("--role", help="admin, analyst or viewer.")],
    password_stdin: PasswordStdin = False,
    with_totp: Annotated[bool, typer.Option("--totp", help="Give a viewer a second factor too (admins and "
                                            "analysts always get one).")] = False,
) -> None:
    """Create an account (the first admin too). Prints the TOTP secret once."""
    from kolokol.cli import opened_db, out
    from kolokol.security.auth import add_user
    from kolokol.security.roles import Role

    parsed = Role.parse(role)
    password = _read_password(password_stdin)
    with opened_db() as db:
        account = add_user(db, username, parsed, password, with_totp=with_totp)
    out.print(f"account {account.username} ({account.role.label}) created, id {account.id}", markup=False)
    _show_totp(account.username, account.totp_secret, account.totp_uri)


@users_app.command("list")
def users_list(as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False) -> None:
    """Accounts: id, name, role, disabled, whether a second factor is set, last sign-in."""
    from rich.table import Table

    from kolokol.cli import opened_db, out
    from kolokol.security.auth import list_users

    with opened_db() as db:
        rows = list_users(db)
    if as_json:
        for row in rows:
            sys.stdout.write(json.dumps(row) + "\n")
        return
    table = Table("id", "username", "role", "disabled", "totp", "last sign-in", box=None)
    for r in rows:
        table.add_row(str(r["id"]), r["username"], r["role"], "yes" if r["disabled"] else "",
                      "yes" if r["totp"] else "", r["last_login_at"] or "")
    out.print(table)
    out.print(f"{len(rows)} account(s)")


@users_app.command("disable")
def users_disable(username: Annotated[str, typer.Argument(help="Account name.")]) -> None:
    """Disable an account and end all its sessions at once."""
    from kolokol.cli import opened_db, out
    from kolokol.security.auth import set_disabled

    with opened_db() as db:
        killed = set_disabled(db, username, True)
    out.print(f"account {username} disabled; {killed} session(s) ended", markup=False)


@users_app.command("enable")
def users_enable(username: Annotated[str, typer.Argument(help="Account name.")]) -> None:
    """Enable a disabled account (and lift a sign-in lock)."""
    from kolokol.cli import opened_db, out
    from kolokol.security.auth import set_disabled

    with opened_db() as db:
        set_disabled(db, username, False)
    out.print(f"account {username} enabled", markup=False)


@users_app.command("set-role")
def users_set_role(
    username: Annotated[str, typer.Argument(help="Account name.")],
    role: Annotated[str, typer.Argument(help="admin, analyst or viewer.")],
) -> None:
    """Change an account's role; its sessions end. A new admin or analyst without TOTP gets one."""
    from kolokol.cli import opened_db, out
    from kolokol.security.auth import set_role
    from kolokol.security.roles import Role

    with opened_db() as db:
        account = set_role(db, username, Role.parse(role))
    out.print(f"account {account.username} is now {account.role.label}", markup=False)
    _show_totp(account.username, account.totp_secret, account.totp_uri)


@users_app.command("reset-totp")
def users_reset_totp(username: Annotated[str, typer.Argument(help="Account name.")]) -> None:
    """A new second-factor secret (the old authenticator entry stops working); sessions end."""
    from kolokol.cli import opened_db
    from kolokol.security.auth import reset_totp

    with opened_db() as db:
        account = reset_totp(db, username)
    _show_totp(account.username, account.totp_secret, account.totp_uri)


@users_app.command("set-password")
def users_set_password(
    username: Annotated[str, typer.Argument(help="Account name.")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Set an account's password (forgotten passwords); its sessions end."""
    from kolokol.cli import opened_db, out
    from kolokol.security.auth import set_password

    password = _read_password(password_stdin)
    with opened_db() as db:
        killed = set_password(db, username, password)
    out.print(f"password of {username} changed; {killed} session(s) ended", markup=False)


@contextlib.contextmanager
def _keyed_db() -> Iterator[Any]:
    """The database, for checking its audit chain: without its key that cannot be done, and the
    error says so in one line."""
    from kolokol.cli import opened_db
    from kolokol.security.crypto import CryptoError

    try:
        with opened_db() as db:
            yield db
    except CryptoError as exc:
        raise KolokolError(f"the audit log's links are keyed: checking them needs the database's key ({exc.message})",
                           hint=exc.hint or "set KOLOKOL_KEY_FILE or KOLOKOL_PASSPHRASE", code="key") from None


Anchors = Annotated[list[str] | None, typer.Option("--anchor", help="SEQ:HASH printed by an earlier verify "
                                                   "(kept elsewhere); it must still be in the chain.")]
UNKEYED = ("warning: this database is not encrypted, so its audit log is NOT keyed: its links are plain SHA-256 "
           "that anyone able to write to the database can recompute; only anchors kept elsewhere catch a rewrite")


@audit_app.command("verify")
def audit_verify(
    anchor: Anchors = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Check the audit log's keyed chain (needs the database's key): exit 0 when intact, 1 with the first
    bad entry's id."""
    from kolokol.cli import err, out
    from kolokol.security.audit import parse_anchor, verify

    anchors = [parse_anchor(a) for a in anchor or []]
    with _keyed_db() as db:
        result = verify(db, anchors)
    if as_json:
        sys.stdout.write(json.dumps(result.to_dict()) + "\n")
    elif result.ok:
        out.print(f"audit log intact: {result.entries} entries; head {result.head} (keep it elsewhere and pass it "
                  "as --anchor later)", markup=False)
    else:
        err.print(f"audit log broken at entry {result.first_bad_id}: {result.problem}", markup=False)
    if not result.keyed:
        err.print(UNKEYED, markup=False)
    if not result.ok:
        raise typer.Exit(1)


@audit_app.command("seal")
def audit_seal(anchor: Anchors = None) -> None:
    """Vouch for a log written before its links were keyed (after upgrading from an older Kolokol):
    checks it (and --anchor, if you kept one) and appends a keyed entry. Changes nothing when it is broken."""
    from kolokol.cli import err, out
    from kolokol.security.audit import parse_anchor, seal

    anchors = [parse_anchor(a) for a in anchor or []]
    with _keyed_db() as db:
        result = seal(db, anchors)
    if not result.ok:
        err.print(f"audit log broken at entry {result.first_bad_id}: {result.problem}; not sealed", markup=False)
        raise typer.Exit(1)
    out.print(f"audit log sealed: {result.entries} entries; head {result.head}", markup=False)


@audit_app.command("list")
def audit_list(
    limit: Annotated[int, typer.Option(help="At most this many entries.")] = 100,
    after: Annotated[int, typer.Option(help="Entries after this id.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Audit entries in order: id, time, user id, action, object and details (never a name)."""
    from kolokol.cli import opened_db, out
    from kolokol.security.audit import entries

    with opened_db() as db:
        rows = entries(db, limit=limit, after=after)
    for r in rows:
        if as_json:
            sys.stdout.write(json.dumps(r) + "\n")
        else:
            obj = f"{r['object_type']}:{r['object_id']}" if r["object_type"] else "-"
            details = " ".join(f"{k}={v}" for k, v in sorted(r["details"].items()))
            out.print(f"{r['id']:>6} {r['at']} user={r['user_id'] if r['user_id'] is not None else '-'} "
                      f"{r['action']} {obj} {details}".rstrip(), markup=False)


def incidents_publish(incident_id: Annotated[int, typer.Argument(help="Incident id.")]) -> None:
    """Make a reviewed incident public (accepted or edited ones only). Audited."""
    from kolokol.cli import opened_db, out
    from kolokol.security.publishing import set_visibility
    from kolokol.security.roles import SYSTEM, Visibility

    with opened_db() as db:
        data = set_visibility(db, incident_id, Visibility.PUBLIC, user=SYSTEM)
    out.print(f"incident #{incident_id} is public since {data['published_at']}", markup=False)


def incidents_unpublish(
    incident_id: Annotated[int, typer.Argument(help="Incident id.")],
    internal: Annotated[bool, typer.Option("--internal", help="Leave it readable by every signed-in account "
                                           "(default: restricted to analysts and admins).")] = False,
) -> None:
    """Take an incident back from the public (restricted, or internal). Audited."""
    from kolokol.cli import opened_db, out
    from kolokol.security.publishing import set_visibility
    from kolokol.security.roles import SYSTEM, Visibility

    level = Visibility.INTERNAL if internal else Visibility.RESTRICTED
    with opened_db() as db:
        set_visibility(db, incident_id, level, user=SYSTEM)
    out.print(f"incident #{incident_id} is {level.value}", markup=False)
