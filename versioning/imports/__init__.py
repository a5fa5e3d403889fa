"""Imports through the codecs of formats/: model predictions (pre-annotations with scores), a
vendor's labels (documents of one annotator) and gold answers, as a job.

All or nothing: the whole import runs in one transaction, so a malformed record, an unknown
class or a shape outside its image (judged against the matched item's real size) anywhere in
the file rolls back everything already written, and the job fails with the codec's location
and message. Items are matched by sha256 when the file gives it, else by file name; names that
match no item are reported, not refused. Idempotent: shape ids are deterministic (the codecs
derive them from file name and position, JSONL keeps its own), and an item whose content is
already what the file says is skipped, so a second import of the same file writes nothing.

Predictions, the bulk case, stream: each entry is matched, checked and encoded as it is read
and goes straight into an open COPY, so the first bad entry in the file is the one reported.
Gold and vendor documents go through their services a batch at a time.

A package by concern: request (checks, the stored file), job (the codec run in one transaction),
matching (items index, tally), predictions (the streamed COPY path), documents (gold and vendor
documents). Its public names stay importable from here.
"""

from versioning.imports.job import project_import
from versioning.imports.matching import (
    BATCH,
    UNMATCHED_LISTED,
    ItemIndex,
    Matched,
    Progress,
    ProjectItem,
    Tally,
)
from versioning.imports.predictions import predictions_of
from versioning.imports.request import (
    DEFAULT_SOURCE,
    FORMATS,
    TARGETS,
    import_request,
    upload_store,
)

__all__ = [
    "BATCH",
    "DEFAULT_SOURCE",
    "FORMATS",
    "TARGETS",
    "UNMATCHED_LISTED",
    "ItemIndex",
    "Matched",
    "Progress",
    "ProjectItem",
    "Tally",
    "import_request",
    "predictions_of",
    "project_import",
    "upload_store",
]
