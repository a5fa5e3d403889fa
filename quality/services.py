from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from annotate.shapes import validate_shapes
from projects.models import Item
from quality.models import GoldAnswer


@transaction.atomic
def gold_set(*, item: Item, shapes: Any, author: User | None, source: str = "manual") -> GoldAnswer:
    clean = validate_shapes(
        shapes, labels=item.project.labels, width=item.asset.width, height=item.asset.height
    )
    # Backed by the one-to-one unique constraint on item.
    gold, _ = GoldAnswer.objects.update_or_create(
        item=item, defaults={"shapes": clean, "author": author, "source": source}
    )
    return gold
