"""The client against the real server: pytest-django's live server, real HTTP, real exports.

The client is its own package (client/loupe_client) and imports nothing of the server; it is
put on sys.path here so the suite runs without installing it.
"""

import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from rest_framework.authtoken.models import Token

from projects.models import Item, Project
from tests.projects.factories import project_with_members, user_create
from tests.versioning.factories import version_made
from tests.versioning.stories import labeled_over_splits

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "client"))

from loupe_client.cli import main  # noqa: E402


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "config"
    monkeypatch.setenv("LOUPE_CONFIG_DIR", str(directory))
    monkeypatch.delenv("LOUPE_URL", raising=False)
    monkeypatch.delenv("LOUPE_TOKEN", raising=False)
    return directory


@dataclass
class Dataset:
    url: str
    project: Project
    items: dict[
        str, Item
    ]  # by role in the story: car_train, person_train, car_night_val, empty_test
    version: str
    token: str
    manager: Any
    reviewer: Any


@pytest.fixture
def dataset(live_server: Any, transactional_db: None, job_worker: None) -> Dataset:
    """Four items over three splits, accepted shapes of car, person and night, one version."""
    manager = user_create("alice_manager", can_create_projects=True)
    annotator = user_create("bob_annotator")
    reviewer = user_create("rita_reviewer")
    project = project_with_members(
        manager=manager, bob_annotator="annotator", rita_reviewer="reviewer"
    )
    items = labeled_over_splits(project, annotator, reviewer)
    version = version_made(project, manager, message="first cut")
    token, _ = Token.objects.get_or_create(user=reviewer)
    return Dataset(
        url=live_server.url,
        project=project,
        items=items,
        version=version.pk,
        token=token.key,
        manager=manager,
        reviewer=reviewer,
    )


@pytest.fixture
def logged_in(dataset: Dataset) -> Dataset:
    assert main(["login", dataset.url, "--token", dataset.token]) == 0
    return dataset


class CutStream(httpx.SyncByteStream):
    """The body of a response whose connection drops after `limit` bytes."""

    def __init__(self, inner: httpx.SyncByteStream, limit: int) -> None:
        self.inner, self.limit = inner, limit

    def __iter__(self) -> Iterator[bytes]:
        sent = 0
        for chunk in self.inner:
            if sent + len(chunk) > self.limit:
                yield chunk[: self.limit - sent]
                raise httpx.ReadError("connection reset by peer (cut by the test)")
            sent += len(chunk)
            yield chunk

    def close(self) -> None:
        self.inner.close()


class TamperStream(CutStream):
    """A body whose first byte is flipped: what a broken proxy or disk would hand over."""

    def __iter__(self) -> Iterator[bytes]:
        first = True
        for chunk in self.inner:
            if first and chunk:
                chunk, first = bytes([chunk[0] ^ 0xFF]) + chunk[1:], False
            yield chunk


class Wire(httpx.BaseTransport):
    """The real HTTP transport to the live server, recording requests; after `cut_after`
    images every further image body is cut mid-way (or tampered with, `tamper=True`)."""

    def __init__(self, *, cut_after: int | None = None, tamper: bool = False) -> None:
        self.inner = httpx.HTTPTransport()
        self.cut_after, self.tamper = cut_after, tamper
        self.paths: list[str] = []
        self.images_started = 0
        self.lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        with self.lock:
            self.paths.append(f"{request.method} {request.url.path}")
            is_image = request.url.path.endswith("/image/")
            number = self.images_started
            self.images_started += is_image
        if not is_image or self.cut_after is None or number < self.cut_after:
            return response
        assert isinstance(response.stream, httpx.SyncByteStream)
        stream = TamperStream(response.stream, 0) if self.tamper else CutStream(response.stream, 20)
        return httpx.Response(response.status_code, headers=response.headers, stream=stream)

    def close(self) -> None:
        self.inner.close()

    def image_requests(self) -> list[str]:
        return [path for path in self.paths if path.endswith("/image/")]
