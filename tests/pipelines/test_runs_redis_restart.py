"""Chaos: the broker restarts mid-run. A redis-server this test starts on a port of its own
(never the machine's shared one, no persistence: a restart loses every queued message), two
real Celery worker subprocesses on it; mid-run the server is restarted empty and a worker is
killed. The workers reconnect, the recovery sends again the units whose messages were lost,
and the run completes with every output stored exactly once."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest

from pipelines.models import PipelineOutput, PipelineRun, PipelineUnit
from pipelines.services import pipeline_run_request, pipelines_recover
from tests.pipelines.factories import labelled_version
from tests.pipelines.workers import wait_until, worker_start, workers_stop

TIMEOUT_SECONDS = 150
LEASE_SECONDS = 3
ITEMS = 10


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """A redis-server of this test's own, in a temporary directory, without persistence."""

    def __init__(self, port: int, directory: str) -> None:
        self.port, self.directory = port, directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no", "--dir", self.directory],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return
            time.sleep(0.05)
        pytest.fail(f"redis-server did not listen on {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)  # a crash: nothing is saved
            self.process.wait(timeout=10)
        self.process = None


@contextlib.contextmanager
def _own_redis() -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    with tempfile.TemporaryDirectory() as directory:
        server = RedisServer(_free_port(), directory)
        server.start()
        try:
            yield server
        finally:
            server.stop()


@contextlib.contextmanager
def _broker(url: str) -> Iterator[str]:
    """This process sends its tasks (the run's job, the recovery's units) to `url`, on a queue
    of its own."""
    from loupe.celery import app

    queue = f"loupe-redis-chaos-{uuid.uuid4().hex[:8]}"
    saved = app.conf.broker_url, app.conf.task_default_queue, app.conf.task_always_eager
    saved_env = os.environ.get("CELERY_BROKER_URL")
    os.environ["CELERY_BROKER_URL"] = url  # Celery's conf prefers it to `broker_url`
    app.conf.broker_url, app.conf.task_default_queue, app.conf.task_always_eager = url, queue, False
    app._pool, app.amqp._producer_pool = None, None  # connections to `url` from now on
    try:
        yield queue
    finally:
        if app._pool is not None:
            app._pool.force_close_all()
        app.conf.broker_url, app.conf.task_default_queue, app.conf.task_always_eager = saved
        if saved_env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = saved_env
        app._pool, app.amqp._producer_pool = None, None


def _worker(url: str, queue: str, name: str) -> subprocess.Popen:
    return worker_start(queue, name, lease_seconds=LEASE_SECONDS, broker_url=url)


def _answers(name: str) -> bool:
    from loupe.celery import app

    replies = app.control.ping(timeout=0.5)
    return any(worker.startswith(name) for reply in replies for worker in reply)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_redis_restart_mid_run_loses_and_duplicates_nothing(
    settings, project, manager, annotator, reviewer
):
    if settings.CELERY_TASK_ALWAYS_EAGER or not settings.DATABASE_URL:
        pytest.skip("needs the broker profile (Postgres and CELERY_BROKER_URL): tasks run eagerly")
    settings.PIPELINE_UNIT_LEASE_SECONDS = LEASE_SECONDS  # the recovery's view of the lease
    _, version = labelled_version(project, manager, annotator, reviewer, count=ITEMS)
    expected = ITEMS * 4 + 3  # four per-item steps, three dataset steps in `default`
    deadline = time.monotonic() + TIMEOUT_SECONDS
    with _own_redis() as redis, _broker(redis.url) as queue:
        workers = [_worker(redis.url, queue, f"{queue}-{n}") for n in "ab"]
        try:
            job = pipeline_run_request(version=version, pipeline="default", user=manager)
            run = PipelineRun.objects.get(job=job)
            units = PipelineUnit.objects.filter(run=run)
            wait_until(lambda: units.filter(state="done").exists(), "no unit finished", deadline)
            assert units.exclude(state="done").exists(), "the run ended before the chaos"

            redis.stop()  # every queued message is lost with it
            time.sleep(1)
            redis.start()
            workers[0].send_signal(signal.SIGKILL)
            workers[0].wait()
            workers.append(_worker(redis.url, queue, f"{queue}-c"))

            # beat's recovery, every second instead of every minute
            def finished() -> bool:
                job.refresh_from_db()
                return job.finished

            wait_until(
                finished, f"job {job.pk} still {job.status}", deadline, tick=pipelines_recover
            )
            # the worker that lived through the restart reconnected: it answers on the new server
            wait_until(lambda: _answers(f"{queue}-b@"), "worker b did not reconnect", deadline)
        finally:
            workers_stop(workers)

    assert job.status == "succeeded", job.error
    run.refresh_from_db()
    # a unit whose killed worker stored its output before finishing it counts as reused
    assert (run.computed + run.reused, run.failed, run.status) == (expected, 0, "succeeded")
    keys = Counter(units.values_list("key", flat=True))
    assert len(keys) == expected and max(keys.values()) == 1  # one unit per key
    outputs = Counter(PipelineOutput.objects.filter(key__in=keys).values_list("key", flat=True))
    assert outputs == Counter(dict.fromkeys(keys, 1))  # every output stored, each once
    assert set(units.values_list("state", flat=True)) == {"done"}
    assert not PipelineOutput.objects.filter(key__in=keys, created_at__lt=run.created_at).exists()
