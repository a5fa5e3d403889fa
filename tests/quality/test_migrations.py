"""The move to one gold representation keeps every gold and training item."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("projects", "0001_initial"),
    ("quality", "0001_initial"),
    ("annotate", "0002_document_content_hash"),
]
AFTER = [
    ("projects", "0002_item_role_to_gold_qc_settings"),
    ("quality", "0002_gold_purpose_and_scores"),
    ("annotate", "0003_assignment_lease"),
]


@pytest.mark.django_db(transaction=True)
def test_item_roles_become_gold_answers():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Project, Item = old.get_model("projects", "Project"), old.get_model("projects", "Item")
    Asset, GoldAnswer = old.get_model("storage", "Asset"), old.get_model("quality", "GoldAnswer")
    project = Project.objects.create(name="old", labels=[])
    items = {}
    for n, role in enumerate(["task", "gold", "gold", "training"]):
        asset = Asset.objects.create(
            sha256=f"{n:064d}", size=1, mime="image/png", width=4, height=4
        )
        items[n] = Item.objects.create(project=project, asset=asset, role=role)
    shapes = [{"id": "a", "label": "car", "kind": "box", "points": [0, 0, 1, 1]}]
    GoldAnswer.objects.create(item=items[2], shapes=shapes)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    answers = new.get_model("quality", "GoldAnswer").objects.order_by("item_id")
    rows = [(a.item_id, a.purpose, a.shapes, bool(a.content_hash)) for a in answers]
    # Every app as the rest of the run has it: later migrations add columns the next tests need.
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert rows == [
        (items[1].pk, "hidden", None, False),
        (items[2].pk, "hidden", shapes, True),
        (items[3].pk, "training", None, False),
    ]
