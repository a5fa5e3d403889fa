"""Shared fixtures. The suite runs on whatever the environment names (Postgres, Redis, S3) and on
the embedded default (SQLite, local objects, eager Celery) when nothing is set."""

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.projects import factories as projects_factories

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


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing() -> Iterator[None]:
    """PBKDF2 costs ~0.3 s a user by design; tests create hundreds of users."""
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()  # rate-limit counters must not leak between tests


@pytest.fixture
def manager(db):
    return projects_factories.user_create("alice_manager", can_create_projects=True)


@pytest.fixture
def annotator(db):
    return projects_factories.user_create("bob_annotator")


@pytest.fixture
def reviewer(db):
    return projects_factories.user_create("rita_reviewer")


@pytest.fixture
def outsider(db):
    return projects_factories.user_create("olga_outsider", can_create_projects=True)


@pytest.fixture
def project(manager, annotator, reviewer):
    return projects_factories.project_with_members(
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


# --- databases -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """On SQLite, test on a file like the embedded default does, not pytest-django's in-memory DB.

    An in-memory database is shared between threads only in SQLite's shared-cache mode, whose
    table locks fail at once with "database table is locked" instead of waiting out the busy
    timeout; the concurrency tests need one connection per thread, as the real server has.
    """
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        database.setdefault("TEST", {})["NAME"] = str(
            tmp_path_factory.mktemp("db") / "test.sqlite3"
        )


# --- Celery --------------------------------------------------------------------------------


@pytest.fixture(autouse=True, scope="session")
def _celery_queue() -> Iterator[str | None]:
    """With a real broker, every task this run sends goes to a queue of its own, deleted at the
    end, so tests never feed another run's workers nor leave messages behind."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        yield None
        return
    from loupe.celery import app

    queue = f"loupe-test-{uuid.uuid4().hex[:8]}"
    app.conf.task_default_queue = queue
    yield queue
    app.conf.task_default_queue = settings.CELERY_TASK_DEFAULT_QUEUE
    with contextlib.suppress(Exception), app.connection_for_write() as connection:
        # Declared first: kombu deletes only the bindings this channel knows of.
        bound = app.amqp.queues[queue].bind(connection.default_channel)
        bound.declare()
        bound.delete()


@pytest.fixture
def tasks_in_process() -> Iterator[None]:
    """Run Celery tasks in this process even where a broker is configured (CI): the test sees a
    task's effect when its transaction commits, and no message reaches the shared worker, whose
    reads would race the flush of a later transactional test."""
    from loupe.celery import app

    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


@pytest.fixture(scope="session")
def celery_worker_process(
    django_db_setup: None, django_db_blocker: object, _celery_queue: str | None
) -> Iterator[str]:
    """A `celery worker` subprocess on the test database, consuming this run's queue."""
    if _celery_queue is None:
        pytest.skip("CELERY_BROKER_URL is not set: tasks run in-process (eager)")
    database = settings.DATABASES["default"]
    if not settings.DATABASE_URL:
        # LOUPE_TEST_DATABASE_NAME points the worker at the test database of DATABASE_URL only;
        # a broker with SQLite is no supported profile (the embedded one runs tasks eagerly).
        pytest.skip("a worker subprocess needs DATABASE_URL to share the test database")
    from loupe.celery import app

    env = {
        **os.environ,
        "CELERY_QUEUE": _celery_queue,
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
            _celery_queue,
            "-n",
            f"{_celery_queue}@%h",
            "-l",
            "warning",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        env=env,
        cwd=settings.BASE_DIR,
    )
    try:
        _wait_for_worker(app, process, name=f"{_celery_queue}@")
        yield _celery_queue
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_worker(app: object, process: subprocess.Popen, *, name: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=0.5)  # type: ignore[attr-defined]
        # Only our worker counts: another run's workers may share the broker.
        if any(worker.startswith(name) for reply in replies for worker in reply):
            return
        if process.poll() is not None:
            pytest.fail(f"celery worker exited with {process.returncode}")
    process.kill()
    pytest.fail("celery worker did not answer a ping within 30 s")


@pytest.fixture
def job_worker(request: pytest.FixtureRequest) -> Iterator[None]:
    """Pages that start jobs need something to run them: in-process on the embedded default,
    a real `celery worker` subprocess where a broker is configured (CI). There, the test ends
    only once the worker is idle: a task of this test still reading (a job the test process ran
    itself, whose message reaches the worker later) would deadlock with the TRUNCATE of the
    transactional test's flush."""
    from django.conf import settings

    if settings.CELERY_TASK_ALWAYS_EAGER:
        yield
        return
    queue = request.getfixturevalue("celery_worker_process")
    yield
    _wait_until_idle(queue)


def _queued(app: Any, queue: str) -> int:
    """Messages waiting on `queue`; a queue the broker does not know (Redis drops an empty
    one's bindings) holds none."""
    with app.connection_for_read() as connection:
        bound = app.amqp.queues[queue].bind(connection.default_channel)
        try:
            return int(bound.queue_declare(passive=True).message_count)
        except Exception:  # amqp's ChannelError 404: no such queue
            return 0


def _wait_until_idle(queue: str, *, within: float = 30.0) -> None:
    """Until the worker on `queue` has nothing queued, reserved or running, twice in a row
    (bounded: a worker still busy after `within` seconds is left to it)."""
    from loupe.celery import app

    node = f"{queue}@{socket.gethostname()}"
    deadline = time.monotonic() + within
    idle = 0
    while idle < 2 and time.monotonic() < deadline:
        inspect = app.control.inspect(destination=[node], timeout=1.0)
        active, reserved = inspect.active() or {}, inspect.reserved() or {}
        running = [*active.get(node, []), *reserved.get(node, [])]
        queued = _queued(app, queue)
        idle = 0 if running or queued else idle + 1
        time.sleep(0.05)
