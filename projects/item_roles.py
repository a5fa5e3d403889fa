"""Whether an item is ordinary work, hidden gold or training is quality's business: a gold answer
attached to the item (DESIGN.md, "Data model essentials"). projects and annotate only ask through
this seam, which quality fills in its `AppConfig.ready` (projects never imports quality). Without
it every item is a task item.

Nothing here may reach an annotator: the role is for managers' responses and for the queue.
"""

from typing import Protocol

from django.db.models import QuerySet, Value

from common.errors import Invalid
from projects.models import Item, ItemRole

ROLE_FIELD = "work_role"


class ItemRoles(Protocol):
    def with_role(self, items: QuerySet[Item]) -> QuerySet[Item]:
        """`items` annotated with `work_role`: task | gold | training."""
        ...

    def designate(self, *, items: list[Item], role: str) -> None:
        """Make the items task, gold or training items (within the caller's transaction)."""
        ...

    def gold_item_ids(self, *, project_id: int) -> QuerySet:
        """Ids of the project's gold and training items: never handed out as ordinary work."""
        ...

    def hidden_gold(self, *, project_id: int) -> QuerySet[Item]:
        """The project's hidden gold items that have an answer: the queue mixes them in."""
        ...

    def training_items(self, *, project_id: int) -> QuerySet[Item]:
        """The project's training items that have an answer: the training course."""
        ...


class EveryItemIsATask:
    def with_role(self, items: QuerySet[Item]) -> QuerySet[Item]:
        return items.annotate(**{ROLE_FIELD: Value(ItemRole.TASK)})

    def designate(self, *, items: list[Item], role: str) -> None:
        if role != ItemRole.TASK:
            raise Invalid({"role": ["Gold and training items need the quality app."]})

    def gold_item_ids(self, *, project_id: int) -> QuerySet:
        return Item.objects.none().values("pk")

    def hidden_gold(self, *, project_id: int) -> QuerySet[Item]:
        return Item.objects.none()

    def training_items(self, *, project_id: int) -> QuerySet[Item]:
        return Item.objects.none()


_provider: list[ItemRoles] = [EveryItemIsATask()]


def register(provider: ItemRoles) -> None:
    _provider[0] = provider


def item_roles() -> ItemRoles:
    return _provider[0]
