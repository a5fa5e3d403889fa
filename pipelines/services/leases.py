"""What every part of a run shares: unit leases, the live units, the errors worth a retry."""

from datetime import timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.db.models import QuerySet

from pipelines.models import PipelineUnit, UnitState

TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


def _lease() -> timedelta:
    return timedelta(seconds=settings.PIPELINE_UNIT_LEASE_SECONDS)


def _live_units(run_id: int) -> QuerySet[PipelineUnit]:
    states = (UnitState.QUEUED, UnitState.CLAIMED)
    return PipelineUnit.objects.filter(run_id=run_id, state__in=states)
