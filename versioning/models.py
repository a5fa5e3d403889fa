from typing import Any

from django.conf import settings
from django.db import models

from projects.models import Item, Project


class BulkJSONField(models.JSONField):
    """JSON that Postgres bulk-inserts as plain VALUES. Without a placeholder, Django inserts
    through UNNEST(%s::jsonb[]), and psycopg quotes every JSON text into an array literal with a
    regex substitution per quote character: ~20x slower for shape lists (measured)."""

    def get_placeholder(self, value: object, compiler: object, connection: object) -> str:
        return "%s"


class JobKind(models.TextChoices):
    SNAPSHOT = "snapshot"
    EXPORT = "export"
    IMPORT = "import"
    PIPELINE = "pipeline"


class JobStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Job(models.Model):
    """A long-running operation. Workers claim it with a conditional UPDATE that sets a lease;
    a job whose lease ran out (its worker died) may be claimed again, a live lease may not."""

    kind = models.CharField(max_length=16, choices=JobKind.choices)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="jobs")
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    params = models.JSONField(default=dict, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    result = models.JSONField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # When a message for it was last sent: recovery re-sends at most once per lease period.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The claim: a token per attempt, and when it lapses unless the worker renews it.
    claimed_by = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=JobKind.values), name="job_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=JobStatus.values), name="job_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["project", "-created_at"]),
            models.Index(fields=["status", "lease_until"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} job {self.pk} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)


class DatasetVersion(models.Model):
    """Immutable. `id` is the SHA-256 of the canonical manifest (formats.canonical), so the
    same content always has the same id and a second snapshot of it creates nothing.

    Its manifest rows are stored either in full (`base` is null) or as the rows that differ
    from `base`, a version stored in full (versioning.rows): a re-snapshot after a small
    relabel writes what changed, not the dataset. VersionItem reads them back either way."""

    id = models.CharField(primary_key=True, max_length=64)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="versions")
    message = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    # RESTRICT: a version stored as a delta is unreadable without its base, so the base may go
    # only together with its project (and so with every version built on it).
    base = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.RESTRICT, related_name="deltas"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    schema_hash = models.CharField(max_length=64)
    # The label schema as it was: exports of this version must not follow later schema edits.
    labels = models.JSONField(default=list)
    source = models.CharField(max_length=16)
    filters = models.JSONField(default=dict, blank=True)
    stats = models.JSONField(default=dict, blank=True)
    manifest_key = models.CharField(max_length=255)

    class Meta:
        indexes = [models.Index(fields=["project", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(base=models.F("id")), name="version_base_not_itself"
            )
        ]

    def __str__(self) -> str:
        return f"version {self.pk[:12]} of project {self.project_id}"


class VersionRow(models.Model):
    """A stored manifest row. A version stored in full has one per item; a delta version has
    one per item whose row differs from its base's, `removed` for an item its base has and it
    has not. Written by snapshots only; read through VersionItem."""

    # No index of its own: version_item_unique (version, item) serves every lookup by version,
    # and each index costs a snapshot 100k entries (two for a varchar: = and LIKE).
    version = models.ForeignKey(
        DatasetVersion, on_delete=models.CASCADE, related_name="stored_rows", db_index=False
    )
    # RESTRICT: an item in a version may go only together with its project (versions are
    # immutable; deleting the item alone would change what an old version exports).
    item = models.ForeignKey(Item, on_delete=models.RESTRICT, related_name="+")
    asset_sha256 = models.CharField(max_length=64)
    annotation_hash = models.CharField(max_length=64, null=True, blank=True)
    split = models.CharField(max_length=32, blank=True)
    removed = models.BooleanField(default=False, db_default=False)

    class Meta:
        constraints = [
            # Named as when this table was VersionItem: the index is the table's own.
            models.UniqueConstraint(fields=["version", "item"], name="version_item_unique")
        ]

    def __str__(self) -> str:
        return f"stored row of item {self.item_id} in {self.version_id[:12]}"


class VersionItemQuerySet(models.QuerySet["VersionItem"]):
    def filter(self, *args: Any, **kwargs: Any) -> "VersionItemQuerySet":
        """Filtering on one version also filters on the version its rows build on (a filter
        that keeps every row of the version): Postgres can then read each branch of the view
        in item order, so a page of a version stops after its rows instead of sorting all of
        them (migration 0004)."""
        rows = super().filter(*args, **kwargs)
        version = kwargs.get("version", kwargs.get("version_id"))
        if isinstance(version, DatasetVersion):
            base_id = version.base_id or version.pk
        elif isinstance(version, str):
            found = DatasetVersion.objects.filter(pk=version).values_list("base_id", flat=True)
            base_id = next(iter(found), None) or version
        else:
            return rows
        return super(VersionItemQuerySet, rows).filter(base_id=base_id)


class VersionItem(models.Model):
    """One manifest row of a version, however it is stored: a database view (migration 0004)
    of the version's own stored rows plus, for a delta version, its base's rows it does not
    override. Read-only."""

    pk = models.CompositePrimaryKey("version", "item")
    version = models.ForeignKey(
        DatasetVersion, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    # The version stored in full whose rows this one builds on: its base, or itself.
    base = models.ForeignKey(
        DatasetVersion, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    item = models.ForeignKey(
        Item, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    asset_sha256 = models.CharField(max_length=64)
    annotation_hash = models.CharField(max_length=64, null=True, blank=True)
    split = models.CharField(max_length=32, blank=True)

    objects = VersionItemQuerySet.as_manager()

    class Meta:
        managed = False
        db_table = "versioning_versionitem"

    def __str__(self) -> str:
        return f"item {self.item_id} in {self.version_id[:12]}"


class AnnotationBlob(models.Model):
    """Shapes as they were when first snapshotted, once per distinct content hash: documents
    change, so a past version's shapes come from here. Grows with what changed."""

    content_hash = models.CharField(primary_key=True, max_length=64)
    shapes = BulkJSONField()
    # {label: number of shapes}: stats without reading shapes.
    class_counts = BulkJSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"blob {self.content_hash[:12]}"


class VersionTag(models.Model):
    """A movable name ("v1.2", "production") for a version, unique per project."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="version_tags")
    name = models.CharField(max_length=100)
    version = models.ForeignKey(DatasetVersion, on_delete=models.CASCADE, related_name="tags")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="version_tag_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} -> {self.version_id[:12]}"


class ExportFile(models.Model):
    """One stored export of a version in a format; re-exports reuse it (same bytes)."""

    version = models.ForeignKey(DatasetVersion, on_delete=models.CASCADE, related_name="exports")
    format = models.CharField(max_length=32)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    storage_key = models.CharField(max_length=255)
    media_type = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["version", "format"], name="export_unique_format")
        ]

    def __str__(self) -> str:
        return f"{self.format} export of {self.version_id[:12]}"


class Prediction(models.Model):
    """Pre-annotations of an item from one source (a model, a vendor's run): editable shapes the
    studio offers annotators, each with its score. One row per (item, source); a re-import of
    the same source replaces it, and `content_hash` lets an identical re-import skip it."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="predictions")
    source = models.CharField(max_length=100)
    shapes = BulkJSONField(default=list)
    # {shape id: score}; a shape without a score is absent.
    scores = BulkJSONField(default=dict)
    content_hash = models.CharField(max_length=64)
    job = models.ForeignKey(Job, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "source"], name="prediction_unique_source")
        ]

    def __str__(self) -> str:
        return f"{self.source} prediction of item {self.item_id}"
