"""Labeled projects the version tests and the client's tests read back, built through services."""

import io

from projects.models import Item, Project
from projects.services import items_upload
from tests.annotate.factories import box, tag
from tests.storage.factories import image_bytes
from tests.versioning.factories import document_accepted

SPLITS = (
    ("car_train", "train"),
    ("person_train", "train"),
    ("car_night_val", "val"),
    ("empty_test", "test"),
)


def labeled_over_splits(
    project: Project, annotator, reviewer, *, extra: tuple[tuple[str, str], ...] = ()
) -> dict[str, Item]:
    """car_train and person_train (train), car_night_val (val), empty_test (test) and any
    `extra` (name, split) items, by name; a car, a person, and a car with the night tag are
    accepted on the first three."""
    items = {}
    for name, split in SPLITS + extra:
        files = [(f"{name}.png", io.BytesIO(image_bytes(64, 48)))]
        (items[name],) = items_upload(project=project, files=files, split=split)
    document_accepted(items["car_train"], annotator, reviewer, [box("car", (1, 2, 30, 40))])
    document_accepted(items["person_train"], annotator, reviewer, [box("person", (5, 5, 20, 20))])
    document_accepted(
        items["car_night_val"], annotator, reviewer, [box("car", (10, 10, 50, 40)), tag("night")]
    )
    return items
