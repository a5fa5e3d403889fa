"""Builders for gold answers. They call the real services."""

from django.contrib.auth.models import AbstractBaseUser

from projects.models import Item
from quality.models import GoldAnswer
from quality.services import gold_set
from tests.annotate.factories import box


def gold_add(item: Item, author: AbstractBaseUser, shapes: list[dict] | None = None) -> GoldAnswer:
    return gold_set(item=item, shapes=[box()] if shapes is None else shapes, author=author)
