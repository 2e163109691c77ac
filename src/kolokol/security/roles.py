"""Roles, visibility levels and the permission table. No web dependency: search, exports, the CLI
and the web layer (kolokol.web.access) all read access rules from here.

Roles are ordered ``PUBLIC`` (anonymous) < ``VIEWER`` < ``ANALYST`` < ``ADMIN``; every permission
has a minimum role and a higher role has every permission of a lower one.

Visibility of an incident (``incidents.visibility``):

- ``restricted`` (the default for every new incident): analysts and admins only;
- ``internal``: any signed-in account (viewers too);
- ``public``: everyone, anonymous visitors included, who see it in its public form only (the
  /public pages: protected names withheld, kolokol.export.public). Publishing is an explicit,
  audited act.

Permission table (``Permission`` -> minimum role):

=============================  ==========================================================  =========
permission                     what it allows                                              minimum
=============================  ==========================================================  =========
``read``                       published incidents in their public form (the /public       public
                               pages), counts and maps of what one may see
``browse``                     the analysts' app: dashboard, search, incident pages in     viewer
                               full (names of targets), of what one may see
``read_internal``              incidents marked ``internal``                               viewer
``account``                    one's own account page, sign out, change password           viewer
``read_restricted``            incidents marked ``restricted`` (every new one)             analyst
``read_reports``               report pages (source text, which may name people); the      analyst
                               report texts behind an incident page
``review``                     accept, reject, edit, merge, split incidents                analyst
``restrict``                   make an incident less visible (internal, restricted)        analyst
``export``                     full exports from the web app                               analyst
``alerts``                     read trend alerts                                           analyst
``publish``                    make an incident public (reviewed ones only)                admin
``manage_alerts``              create, edit, delete alert rules                            admin
``manage_users``               accounts and roles                                          admin
``read_audit``                 the audit log                                               admin
=============================  ==========================================================  =========

Publishing needs an admin on purpose: an analyst reviews, a second person exposes. Making an
incident less visible is open to every analyst, so pulling something back is never blocked.

Every query that lists, searches, counts, maps or exports incidents for a person must AND in
``visible_incidents(user)``; ``None`` stands for an anonymous visitor. Functions that read for a
person (kolokol.search, kolokol.analytics, kolokol.alerts) take ``user`` as a keyword with no
default: a caller that forgets it gets a TypeError, never the operator's view (fail closed).
``SYSTEM`` is the local operator of the command line, who already holds the database and its key
and sees everything; only command-line code and tests pass it, always explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum

from sqlalchemy import ColumnElement, false, true

from kolokol.errors import KolokolError


class Role(IntEnum):
    PUBLIC = 0  # anonymous visitor: never stored in the users table
    VIEWER = 1
    ANALYST = 2
    ADMIN = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: str) -> Role:
        """An account role by name: admin, analyst or viewer (never public)."""
        try:
            role = cls[value.strip().upper()]
        except KeyError:
            role = None
        if role is None or role is cls.PUBLIC:
            raise KolokolError(f"unknown role {value!r}", hint="choose admin, analyst or viewer", code="role")
        return role


class AccessDenied(KolokolError):
    """The account may not do this (HTTP 403)."""

    code = "forbidden"


ACCOUNT_ROLES = (Role.ADMIN, Role.ANALYST, Role.VIEWER)
SECOND_FACTOR_ROLES = (Role.ADMIN, Role.ANALYST)  # TOTP is mandatory for these


class Visibility(StrEnum):
    RESTRICTED = "restricted"
    INTERNAL = "internal"
    PUBLIC = "public"

    @classmethod
    def parse(cls, value: str) -> Visibility:
        try:
            return cls(value.strip().lower())
        except ValueError:
            raise KolokolError(f"unknown visibility {value!r}", hint="choose restricted, internal or public",
                               code="visibility") from None


class Permission(StrEnum):
    READ = "read"
    BROWSE = "browse"
    READ_INTERNAL = "read_internal"
    ACCOUNT = "account"
    READ_RESTRICTED = "read_restricted"
    READ_REPORTS = "read_reports"
    REVIEW = "review"
    RESTRICT = "restrict"
    EXPORT = "export"
    ALERTS = "alerts"
    PUBLISH = "publish"
    MANAGE_ALERTS = "manage_alerts"
    MANAGE_USERS = "manage_users"
    READ_AUDIT = "read_audit"


MIN_ROLE: dict[Permission, Role] = {
    Permission.READ: Role.PUBLIC,
    Permission.BROWSE: Role.VIEWER,
    Permission.READ_INTERNAL: Role.VIEWER,
    Permission.ACCOUNT: Role.VIEWER,
    Permission.READ_RESTRICTED: Role.ANALYST,
    Permission.READ_REPORTS: Role.ANALYST,
    Permission.REVIEW: Role.ANALYST,
    Permission.RESTRICT: Role.ANALYST,
    Permission.EXPORT: Role.ANALYST,
    Permission.ALERTS: Role.ANALYST,
    Permission.PUBLISH: Role.ADMIN,
    Permission.MANAGE_ALERTS: Role.ADMIN,
    Permission.MANAGE_USERS: Role.ADMIN,
    Permission.READ_AUDIT: Role.ADMIN,
}

# Which visibility levels each role reads (higher roles read everything lower roles read).
READABLE: dict[Role, tuple[Visibility, ...]] = {
    Role.PUBLIC: (Visibility.PUBLIC,),
    Role.VIEWER: (Visibility.PUBLIC, Visibility.INTERNAL),
    Role.ANALYST: (Visibility.PUBLIC, Visibility.INTERNAL, Visibility.RESTRICTED),
    Role.ADMIN: (Visibility.PUBLIC, Visibility.INTERNAL, Visibility.RESTRICTED),
}


@dataclass(frozen=True, slots=True)
class UserInfo:
    """Who is asking: a signed-in account (with its session), or the command-line operator."""

    id: int | None
    username: str
    role: Role
    session_id: str | None = None  # SHA-256 of the session cookie (never the cookie itself)

    def can(self, permission: Permission) -> bool:
        return self.role >= MIN_ROLE[permission]


SYSTEM = UserInfo(id=None, username="system", role=Role.ADMIN)


def role_of(user: UserInfo | None) -> Role:
    return Role.PUBLIC if user is None else user.role


def can(user: UserInfo | None, permission: Permission) -> bool:
    """Whether `user` (None: anonymous) holds `permission`."""
    return role_of(user) >= MIN_ROLE[permission]


def readable_visibilities(user: UserInfo | None) -> tuple[Visibility, ...]:
    return READABLE[role_of(user)]


def can_read_incident(user: UserInfo | None, visibility: str | None) -> bool:
    """Whether `user` may see an incident of this visibility. Unknown values are restricted."""
    if can(user, Permission.READ_RESTRICTED):
        return True
    return visibility in {v.value for v in readable_visibilities(user)}


def visible_incidents(user: UserInfo | None) -> ColumnElement[bool]:
    """The SQL condition on `incidents` selecting what `user` may see; AND it into every query that
    lists, searches, counts, maps or exports incidents. Analysts and admins see every row; others see
    only the listed visibility levels (an unknown or NULL value is hidden: fail closed)."""
    from kolokol.store.models import Incident

    if can(user, Permission.READ_RESTRICTED):
        return true()
    return Incident.visibility.in_([v.value for v in readable_visibilities(user)])


def visible_reports(user: UserInfo | None) -> ColumnElement[bool]:
    """The SQL condition on `reports` selecting what `user` may open: analysts and admins only."""
    return true() if can(user, Permission.READ_REPORTS) else false()
