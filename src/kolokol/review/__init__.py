"""The human layer over machine incidents: the review queue, accept / reject / edit / merge / split,
and an edit history that can be read and reverted.

Every decision is a row that no machine re-run touches: a field's value in `incident_edits` (who,
when; latest non-reverted one wins when shown), the review status too (so it can be reverted like
any field), an entry in `review_events`, and for merges and splits the must- and cannot-links of
`merge_decisions` (kolokol.resolve.merge). `kolokol reextract` replaces mentions but keeps incidents
with human work, so edits survive it.
"""

from kolokol.review.workflow import (
    EDITABLE_FIELDS,
    QUEUE_STATUS,
    EditError,
    HistoryEntry,
    QueuePage,
    accept_incident,
    edit_incident,
    incident_history,
    merge_into,
    parse_edit_form,
    reject_incident,
    revert_edit,
    review_queue,
    set_status,
    split_off,
)

__all__ = [
    "EDITABLE_FIELDS",
    "QUEUE_STATUS",
    "EditError",
    "HistoryEntry",
    "QueuePage",
    "accept_incident",
    "edit_incident",
    "incident_history",
    "merge_into",
    "parse_edit_form",
    "reject_incident",
    "revert_edit",
    "review_queue",
    "set_status",
    "split_off",
]
