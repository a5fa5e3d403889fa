from celery import shared_task

from quality.services import gold_submission_score


@shared_task(name="quality.score_submission", time_limit=60, soft_time_limit=50)
def score_submission(document_id: int) -> int | None:
    """Score a submitted document against gold; safe to run twice (one row per gold version)."""
    row = gold_submission_score(document_id=document_id)
    return row.pk if row is not None else None
