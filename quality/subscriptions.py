"""How quality hooks into the apps on its left, from QualityConfig.ready (they never import it)."""

import logging

from annotate.events import annotation_submitted, subscribe
from projects.item_roles import register
from quality.item_roles import GoldAnswerRoles
from quality.tasks import score_submission

logger = logging.getLogger(__name__)


def on_annotation_submitted(*, document_id: int, item_id: int, user_id: int) -> None:
    """Enqueue the gold comparison. A broker that is down must not fail the submit: the score
    is recomputed on demand (GET /api/v1/annotations/{id}/score/)."""
    try:
        score_submission.delay(document_id)
    except Exception:
        logger.exception("could not enqueue the gold score of document %s", document_id)


def connect() -> None:
    register(GoldAnswerRoles())
    subscribe(annotation_submitted, on_annotation_submitted)
