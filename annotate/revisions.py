"""Revision storage that grows with the change, not the document (annotate.models.Revision).

A save writes a checkpoint (the full shapes) at version 1, at every REVISION_CHECKPOINT_EVERY-th
version and whenever its change cannot be said as a change set (a reordering); every other save
writes only its change set against the previous version. Submissions and reviews always write a
checkpoint. Reading a revision replays the change sets from the nearest checkpoint at or before
it, so at most REVISION_CHECKPOINT_EVERY - 1 small rows are read beyond the checkpoint.
"""

from collections.abc import Iterable
from typing import Any

from annotate.changes import change_set_apply, change_set_between
from annotate.models import AnnotationDocument, Revision

REVISION_CHECKPOINT_EVERY = 20


def revision_content(
    *, version: int, shapes: list[dict[str, Any]], previous: list[dict[str, Any]] | None
) -> dict[str, Any]:
    """The checkpoint/shapes/changes columns of the revision that writes `shapes` at `version`.

    `previous` is the document's shapes at version - 1 (None when not at hand: a checkpoint).
    """
    changes = None
    if previous is not None and version % REVISION_CHECKPOINT_EVERY != 0 and version > 1:
        changes = change_set_between(previous, shapes)
    if changes is None:
        return {"checkpoint": True, "shapes": shapes, "changes": None}
    return {"checkpoint": False, "shapes": None, "changes": changes}


def revision_delta(changes: dict[str, Any], version: int) -> dict[str, Any] | None:
    """A change set as a revision's columns, or None when `version` must be a checkpoint."""
    if version <= 1 or version % REVISION_CHECKPOINT_EVERY == 0:
        return None
    return {"checkpoint": False, "shapes": None, "changes": changes}


def revisions_with_shapes(
    document: AnnotationDocument, revisions: Iterable[Revision]
) -> list[Revision]:
    """`revisions` of `document` (any subset), each with `.shapes` filled in exactly as that
    version was written, rebuilt from the nearest checkpoint."""
    wanted = sorted(revisions, key=lambda revision: revision.version)
    pending = [revision for revision in wanted if not revision.checkpoint]
    if not pending:
        return wanted
    first, last = pending[0].version, pending[-1].version
    start = (
        Revision.objects.filter(document=document, checkpoint=True, version__lte=first)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    chain = Revision.objects.filter(
        document=document, version__gte=start or 0, version__lte=last
    ).order_by("version")
    rebuilt: dict[int, list[dict[str, Any]]] = {}
    shapes: list[dict[str, Any]] = []
    for version, checkpoint, full, changes in chain.values_list(
        "version", "checkpoint", "shapes", "changes"
    ):
        shapes = full if checkpoint else change_set_apply(shapes, changes)  # type: ignore[assignment]
        rebuilt[version] = shapes
    for revision in pending:
        revision.shapes = rebuilt[revision.version]
    return wanted


def revision_shapes(revision: Revision) -> list[dict[str, Any]]:
    """One revision's full shapes."""
    return revisions_with_shapes(revision.document, [revision])[0].shapes  # type: ignore[return-value]
