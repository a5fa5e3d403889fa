"""Shared fixtures. The suite runs on whatever the environment names (Postgres, Redis, S3) and on
the embedded default (SQLite, local objects, eager Celery) when nothing is set."""

import contextlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests import factories

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # live-server tests drive sync code


@pytest.fixture(autouse=True, scope="session")
def _object_storage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Local objects go to a fresh directory; an S3 bucket is created when S3_* names one."""
    from django.test import override_settings

    if settings.S3_BUCKET:
        import boto3

        client = boto3.client(
            "s3",
            endpoint_url=settings.S3_ENDPOINT_URL or None,
            aws_access_key_id=os.environ.get("S3_ACCESS_KEY_ID"),
            aws_secret_access_key=os.environ.get("S3_SECRET_ACCESS_KEY"),
            region_name=os.environ.get("S3_REGION", "us-east-1"),
        )
        with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
            client.create_bucket(Bucket=settings.S3_BUCKET)
        yield
        return
    media = tmp_path_factory.mktemp("objects")
    storages = {**settings.STORAGES, "default": {**settings.STORAGES["default"]}}
    storages["default"]["OPTIONS"] = {"location": str(media)}
    with override_settings(STORAGES=storages, MEDIA_ROOT=media):
        os.environ["MEDIA_ROOT"] = str(media)  # for worker and server subprocesses
        yield


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()  # rate-limit counters must not leak between tests


@pytest.fixture
def manager(db):
    return factories.user_create("alice_manager", can_create_projects=True)


@pytest.fixture
def annotator(db):
    return factories.user_create("bob_annotator")


@pytest.fixture
def reviewer(db):
    return factories.user_create("rita_reviewer")


@pytest.fixture
def outsider(db):
    return factories.user_create("olga_outsider", can_create_projects=True)


@pytest.fixture
def project(manager, annotator, reviewer):
    return factories.project_with_members(
        manager=manager, bob_annotator="annotator", rita_reviewer="reviewer"
    )


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api():
    """api(user) -> an APIClient authenticated with the user's token (None: anonymous)."""
    return client_for


# --- a real Celery worker -------------------------------------------------------------------


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker) -> Iterator[str]:
    """A `celery worker` subprocess on the test database, listening on a queue of its own."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        pytest.skip("CELERY_BROKER_URL is not set: tasks run in-process (eager)")
    from loupe.celery import app

    queue = f"loupe-test-{uuid.uuid4().hex[:8]}"
    app.conf.task_default_queue = queue
    database = settings.DATABASES["default"]
    env = {
        **os.environ,
        "CELERY_QUEUE": queue,
        "LOUPE_TEST_DATABASE_NAME": str(database["NAME"]),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "loupe",
            "worker",
            "-P",
            "solo",
            "-Q",
            queue,
            "-l",
            "warning",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        env=env,
        cwd=settings.BASE_DIR,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=0.5)
        if replies:
            break
        if process.poll() is not None:
            pytest.fail(f"celery worker exited with {process.returncode}")
    else:
        process.kill()
        pytest.fail("celery worker did not answer a ping within 30 s")
    yield queue
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    app.conf.task_default_queue = settings.CELERY_TASK_DEFAULT_QUEUE
