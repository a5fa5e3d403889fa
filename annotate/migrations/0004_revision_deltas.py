"""Revisions store change sets between checkpoints (annotate.revisions).

Every existing row holds full shapes: each becomes a checkpoint (the new column's default).
Backwards, every change-set row gets its full shapes back before the column is required again.
"""

from typing import Any

from django.conf import settings
from django.db import migrations, models

from annotate.changes import change_set_apply


def full_shapes_back(apps: Any, schema_editor: Any) -> None:
    Revision = apps.get_model("annotate", "Revision")
    documents = Revision.objects.filter(checkpoint=False).values_list("document_id", flat=True)
    for document_id in documents.distinct():
        shapes: list[dict[str, Any]] = []
        for revision in Revision.objects.filter(document_id=document_id).order_by("version"):
            if revision.checkpoint:
                shapes = revision.shapes
                continue
            shapes = change_set_apply(shapes, revision.changes)
            revision.shapes, revision.checkpoint, revision.changes = shapes, True, None
            revision.save(update_fields=["shapes", "checkpoint", "changes"])


class Migration(migrations.Migration):
    dependencies = [
        ("annotate", "0003_assignment_lease"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="revision",
            name="changes",
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="revision",
            name="checkpoint",
            field=models.BooleanField(default=True),
        ),
        migrations.AlterField(
            model_name="revision",
            name="shapes",
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.AddConstraint(
            model_name="revision",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("checkpoint", True), ("shapes__isnull", False)),
                    models.Q(("changes__isnull", False), ("checkpoint", False)),
                    _connector="OR",
                ),
                name="revision_checkpoint_or_changes",
            ),
        ),
        migrations.RunPython(migrations.RunPython.noop, full_shapes_back),
    ]
