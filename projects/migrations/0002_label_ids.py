"""Every existing label class gets its stable id (projects.schema)."""

import secrets

from django.db import migrations


def label_ids_give(apps, schema_editor) -> None:  # noqa: ANN001
    Project = apps.get_model("projects", "Project")
    for project in Project.objects.only("labels").iterator():
        labels = [
            {**label, "id": label.get("id") or secrets.token_hex(6)} for label in project.labels
        ]
        if labels != project.labels:
            Project.objects.filter(pk=project.pk).update(labels=labels)


class Migration(migrations.Migration):
    dependencies = [("projects", "0001_initial")]

    operations = [migrations.RunPython(label_ids_give, migrations.RunPython.noop)]
