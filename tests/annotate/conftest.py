"""Fixtures of the annotate suites."""

import pytest

from projects.models import Item
from tests.projects.factories import items_add


@pytest.fixture
def item(project) -> Item:
    (item,) = items_add(project, size=(64, 48))
    return item
