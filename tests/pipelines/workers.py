"""Real Celery worker subprocesses for the pipeline tests that need them (started on a queue of
the test's own, stopped by their PID)."""

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable

from django.conf import settings


def worker_start(
    queue: str, name: str, *, lease_seconds: int, broker_url: str | None = None
) -> subprocess.Popen:
    """A solo worker on `queue` over the test database, batches of 2 units."""
    env = {
        **os.environ,
        **({"CELERY_BROKER_URL": broker_url} if broker_url else {}),
        "CELERY_QUEUE": queue,
        "LOUPE_TEST_DATABASE_NAME": str(settings.DATABASES["default"]["NAME"]),
        "PIPELINE_UNIT_LEASE_SECONDS": str(lease_seconds),
        "PIPELINE_BATCH_SIZE": "2",
    }
    command = [sys.executable, "-m", "celery", "-A", "loupe", "worker", "-P", "solo"]
    command += ["-Q", queue, "-n", f"{name}@%h", "-l", "warning"]
    command += ["--without-heartbeat", "--without-gossip", "--without-mingle"]
    return subprocess.Popen(command, env=env, cwd=settings.BASE_DIR)


def workers_stop(workers: list[subprocess.Popen]) -> None:
    for process in workers:
        if process.poll() is None:
            process.terminate()
    for process in workers:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=20)
        if process.poll() is None:
            process.kill()
            process.wait()


def wait_until(
    condition: Callable[[], bool],
    what: str,
    deadline: float,
    tick: Callable[[], object] | None = None,
    interval: float = 0.2,
) -> None:
    """Poll `condition` until it holds; fail with `what` at `deadline` (time.monotonic())."""
    while not condition():
        assert time.monotonic() < deadline, what
        if tick is not None:
            tick()
        time.sleep(interval)
