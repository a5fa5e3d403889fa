"""Runs of a pipeline over a dataset version, their work units, and the outputs they store.

`PipelineOutput` is the Postgres `Store`: one row per content key, written first-wins. A run
plans with the engine and creates a `PipelineUnit` only for a key not stored yet; workers claim
units (SKIP LOCKED, or a conditional UPDATE on SQLite) under a lease, so a unit whose worker died
is claimed again once its lease lapses.
"""

from django.db import models

from projects.models import Item, Project
from versioning.models import DatasetVersion, Job


class RunStatus(models.TextChoices):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class PipelineRun(models.Model):
    job = models.OneToOneField(Job, on_delete=models.CASCADE, related_name="pipeline_run")
    version = models.ForeignKey(
        DatasetVersion, on_delete=models.CASCADE, related_name="pipeline_runs"
    )
    pipeline = models.CharField(max_length=64)
    # content_hash of the steps' identities (name, version, code, config): a nightly run skips a
    # version already run by the same code.
    fingerprint = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.RUNNING)
    # Units created and not yet done or failed: the batch that brings it to 0 plans the next round.
    outstanding = models.IntegerField(default=0)
    rounds = models.PositiveIntegerField(default=0)
    computed = models.PositiveIntegerField(default=0)
    reused = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    # {step: {computed, reused, failed, skipped}} once finished
    steps = models.JSONField(default=dict, blank=True)
    # {step: storage key of its Parquet feature table} once finished
    features = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=RunStatus.values), name="pipeline_run_status_valid"
            )
        ]
        indexes = [models.Index(fields=["version", "pipeline", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.pipeline} run {self.pk} on {self.version_id[:12]} ({self.status})"


class PipelineOutput(models.Model):
    """One step output under its content key; never updated (the first writer wins)."""

    key = models.CharField(primary_key=True, max_length=64)
    step = models.CharField(max_length=64)
    output = models.JSONField()
    output_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.step} output {self.key[:12]}"


class UnitState(models.TextChoices):
    QUEUED = "queued"
    CLAIMED = "claimed"
    DONE = "done"
    FAILED = "failed"


class PipelineUnit(models.Model):
    """One missing key of a run: a per-item step on an item (the first of the items sharing the
    key) or a dataset step (`item_id` null). `inputs` holds the upstream keys it reads."""

    run = models.ForeignKey(PipelineRun, on_delete=models.CASCADE, related_name="units")
    step = models.CharField(max_length=64)
    item_id = models.BigIntegerField(null=True, blank=True)
    item_ids = models.JSONField(default=list, blank=True)
    key = models.CharField(max_length=64)
    inputs = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=16, choices=UnitState.choices, default=UnitState.QUEUED)
    claimed_by = models.CharField(max_length=64, blank=True)
    # claimed: the claim holds until then; queued: its message was sent until then (after it,
    # the recovery sends it again: the broker may have lost it)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    computed = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "key"], name="pipeline_unit_key_unique"),
            models.CheckConstraint(
                condition=models.Q(state__in=UnitState.values), name="pipeline_unit_state_valid"
            ),
        ]
        indexes = [models.Index(fields=["run", "state", "lease_until"])]

    def __str__(self) -> str:
        return f"{self.step} unit {self.pk} ({self.state})"


class ItemFeature(models.Model):
    """A numeric feature of an item, `step.field` (e.g. `image_stats.blur`), from the latest
    finished run over one of its project's versions: what the item list filters and sorts by
    and what the queue can be prioritised by (projects and annotate read it through seams)."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="features")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=128)
    value = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "name"], name="item_feature_unique"),
        ]
        indexes = [models.Index(fields=["project", "name", "value"])]

    def __str__(self) -> str:
        return f"{self.name}={self.value} of item {self.item_id}"


class FeatureSource(models.Model):
    """Which feature table last filled a project's `ItemFeature` rows of a step: a run whose
    table is the same (nothing changed) rewrites nothing."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    step = models.CharField(max_length=64)
    table = models.CharField(max_length=255)
    version = models.ForeignKey(DatasetVersion, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "step"], name="feature_source_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.step} features of project {self.project_id}"


class QueueOrder(models.TextChoices):
    DESC = "desc"
    ASC = "asc"


class QueuePriority(models.Model):
    """A manager's choice: hand out the project's items by this feature first (the data
    flywheel, e.g. the most uncertain predictions first). Applied to `Item.priority` when set
    and again whenever the project's features change."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="+")
    feature = models.CharField(max_length=128)
    order = models.CharField(max_length=4, choices=QueueOrder.choices, default=QueueOrder.DESC)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"queue of project {self.project_id} by {self.feature} {self.order}"
