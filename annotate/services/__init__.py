"""Every write of the annotate app: queue claims, document saves, submit, skip, review.

A package by concern (queue, documents, document_write, submission, activity); its public names
stay importable from here."""

from annotate.services.activity import activity_log
from annotate.services.documents import (
    annotation_open,
    annotation_patch,
    annotation_patch_at,
    annotation_save,
    annotation_save_at,
    document_at_version,
    document_base,
)
from annotate.services.queue import CLAIM_ATTEMPTS, gold_rate_for, item_assign_next, item_skip
from annotate.services.submission import (
    annotation_review,
    annotation_submit,
    annotation_submit_by_annotator,
)

__all__ = [
    "CLAIM_ATTEMPTS",
    "activity_log",
    "annotation_open",
    "annotation_patch",
    "annotation_patch_at",
    "annotation_review",
    "annotation_save",
    "annotation_save_at",
    "annotation_submit",
    "annotation_submit_by_annotator",
    "document_at_version",
    "document_base",
    "gold_rate_for",
    "item_assign_next",
    "item_skip",
]
