"""Versioning's API and job tests check a job's effect as soon as its transaction commits: they
run tasks in this process even where a broker is configured (the real worker is exercised by the
browser and client suites and by tests marked `worker`)."""

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _jobs_in_process(tasks_in_process: None) -> Iterator[None]:
    yield
