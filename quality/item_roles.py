"""quality's answer to projects.item_roles: an item's role is its gold answer's purpose."""

from django.db.models import Case, CharField, QuerySet, Value, When

from projects.item_roles import ROLE_FIELD
from projects.models import Item, ItemRole
from quality.models import GoldAnswer, GoldPurpose
from quality.services import gold_designate

PURPOSE_OF_ROLE = {ItemRole.GOLD: GoldPurpose.HIDDEN, ItemRole.TRAINING: GoldPurpose.TRAINING}


class GoldAnswerRoles:
    def with_role(self, items: QuerySet[Item]) -> QuerySet[Item]:
        role = Case(
            When(gold__purpose=GoldPurpose.HIDDEN, then=Value(ItemRole.GOLD)),
            When(gold__purpose=GoldPurpose.TRAINING, then=Value(ItemRole.TRAINING)),
            default=Value(ItemRole.TASK),
            output_field=CharField(),
        )
        return items.annotate(**{ROLE_FIELD: role})

    def designate(self, *, items: list[Item], role: str) -> None:
        if role == ItemRole.TASK:
            return
        for item in items:
            gold_designate(item=item, purpose=PURPOSE_OF_ROLE[ItemRole(role)])

    def gold_item_ids(self, *, project_id: int) -> QuerySet:
        return GoldAnswer.objects.filter(item__project_id=project_id).values("item_id")

    def hidden_gold(self, *, project_id: int) -> QuerySet[Item]:
        return Item.objects.filter(
            project_id=project_id, gold__purpose=GoldPurpose.HIDDEN, gold__shapes__isnull=False
        )

    def training_items(self, *, project_id: int) -> QuerySet[Item]:
        return Item.objects.filter(
            project_id=project_id, gold__purpose=GoldPurpose.TRAINING, gold__shapes__isnull=False
        )
