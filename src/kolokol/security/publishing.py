"""Publishing: the explicit, audited act that makes an incident visible beyond analysts.

New incidents are ``restricted``. An analyst may make one ``internal`` (every signed-in account) or
restricted again; only an admin may make it ``public``, and only once it has been reviewed
(status accepted or edited, analysts' edits winning): unreviewed machine output is never published.
Unpublishing clears `published_at` / `published_by`. Every change is one audit entry.
"""

from __future__ import annotations

from typing import Any

from kolokol.errors import KolokolError, NotFound
from kolokol.export import load_views
from kolokol.security import audit
from kolokol.security.roles import AccessDenied, Permission, UserInfo, Visibility, can, can_read_incident
from kolokol.security.sessions import utcnow
from kolokol.store.db import Database
from kolokol.store.models import Incident

PUBLISHABLE_STATUSES = ("accepted", "edited")


class PublishError(KolokolError):
    code = "publish"


def set_visibility(db: Database, incident_id: int, visibility: str | Visibility, *, user: UserInfo) -> dict[str, Any]:
    """Set an incident's visibility as `user` (raises AccessDenied, NotFound or PublishError)."""
    target = Visibility.parse(visibility) if isinstance(visibility, str) else visibility
    needed = Permission.PUBLISH if target is Visibility.PUBLIC else Permission.RESTRICT
    if not can(user, needed):
        raise AccessDenied("only an admin may publish an incident" if target is Visibility.PUBLIC
                           else "your account may not change visibility")
    with db.session() as s:
        incident = s.get(Incident, incident_id)
        if incident is None or not can_read_incident(user, incident.visibility):
            raise NotFound(f"no incident {incident_id}")
        before = incident.visibility
        if target is Visibility.PUBLIC and before != Visibility.PUBLIC.value:
            [view] = load_views(s, incident_ids=[incident_id])
            if view.review_status not in PUBLISHABLE_STATUSES:
                raise PublishError(f"incident {incident_id} is {view.review_status}, not reviewed",
                                   hint="accept it (or edit it) before publishing")
            incident.published_at, incident.published_by = utcnow(), user.id
        elif target is not Visibility.PUBLIC:
            incident.published_at, incident.published_by = None, None
        incident.visibility = target.value
        if before != target.value:
            action = ("incident.publish" if target is Visibility.PUBLIC
                      else "incident.unpublish" if before == Visibility.PUBLIC.value else "incident.visibility")
            audit.append(s, action, user_id=user.id, object_type="incident", object_id=incident_id,
                         details={"from": before, "to": target.value})
        return {"id": incident_id, "visibility": incident.visibility,
                "published_at": incident.published_at.isoformat() if incident.published_at else None}
