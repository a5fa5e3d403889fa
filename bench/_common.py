"""Shared plumbing for the benchmarks: environment, database, gunicorn, data setup, tables.

Nothing here is a test. Every server started here is stopped by its PID in a `finally`, and
every request goes to 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = REPO / ".venv" / "bin"
# LOUPE_BENCH_DB lets parallel checkouts measure on a database of their own.
DB_NAME = os.environ.get("LOUPE_BENCH_DB", "loupe_bench")
DATABASE_URL = f"postgres://root@127.0.0.1:5432/{DB_NAME}"
# Databases this suite must never touch, whatever the environment says.
FORBIDDEN_DATABASES = {"test", "loupe"}

# The gunicorn configuration every Loupe figure in bench/ is measured with (chosen with
# bench/server_configs.py, see bench/README.md). Override with LOUPE_BENCH_GUNICORN="w t".
DEFAULT_WORKERS = 4
DEFAULT_THREADS = 4


@dataclass(frozen=True)
class ServerConfig:
    workers: int = DEFAULT_WORKERS
    threads: int = DEFAULT_THREADS
    worker_class: str = "gthread"

    @property
    def label(self) -> str:
        if self.worker_class == "sync":
            return f"sync x{self.workers}"
        return f"{self.worker_class} {self.workers}w x {self.threads}t"

    def args(self) -> list[str]:
        args = ["--workers", str(self.workers), "--worker-class", self.worker_class]
        if self.worker_class == "gthread":
            args += ["--threads", str(self.threads)]
        return args


def default_server_config() -> ServerConfig:
    override = os.environ.get("LOUPE_BENCH_GUNICORN", "").split()
    if len(override) == 2:
        return ServerConfig(int(override[0]), int(override[1]))
    if len(override) == 1:
        return ServerConfig(int(override[0]), 1, "sync")
    return ServerConfig()


def machine_line() -> str:
    load = os.getloadavg()
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"host: {os.cpu_count()} cores, {mem_gb:.0f} GiB RAM, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}, "
        f"load avg {load[0]:.2f}/{load[1]:.2f}/{load[2]:.2f}"
    )


# --------------------------------------------------------------------------- environment
def scratch_dir() -> Path:
    path = Path(os.environ.get("LOUPE_BENCH_SCRATCH", tempfile.gettempdir())) / "loupe_bench"
    (path / "objects").mkdir(parents=True, exist_ok=True)
    return path


def bench_env() -> dict[str, str]:
    """The production-mode environment the server and the in-process setup share."""
    scratch = scratch_dir()
    key_file = scratch / "secret_key"
    if not key_file.exists():
        key_file.write_text(os.urandom(24).hex())
    return {
        "DATABASE_URL": DATABASE_URL,
        "SECRET_KEY": key_file.read_text().strip(),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOUPE_INSECURE_COOKIES": "1",
        "LOUPE_DATA_DIR": str(scratch),
        "MEDIA_ROOT": str(scratch / "objects"),
        "DJANGO_SETTINGS_MODULE": "loupe.settings",
        "LOG_LEVEL": "WARNING",
    }


def scratch_env(scratch: Path, **extra: str) -> dict[str, str]:
    """The production-mode settings a benchmark's processes share, with their objects and data
    under `scratch` (made here) and a secret derived from its path; `extra` adds or overrides
    (DATABASE_URL, a broker, LOG_LEVEL...)."""
    (scratch / "objects").mkdir(parents=True, exist_ok=True)
    return {
        "SECRET_KEY": "bench-" + hashlib.sha256(str(scratch).encode()).hexdigest(),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOUPE_INSECURE_COOKIES": "1",
        "LOUPE_DATA_DIR": str(scratch),
        "MEDIA_ROOT": str(scratch / "objects"),
        "DJANGO_SETTINGS_MODULE": "loupe.settings",
        **extra,
    }


def _clean_parent_env() -> dict[str, str]:
    env = dict(os.environ)
    # No broker: tasks run eagerly. No foreign database or cache from the caller's shell.
    for name in ("CELERY_BROKER_URL", "CACHE_URL", "LOUPE_TEST_DATABASE_NAME", "LOUPE_ENV"):
        env.pop(name, None)
    env.update(bench_env())
    return env


def ensure_database() -> None:
    """Create loupe_bench if it is missing (never drops anything)."""
    import psycopg

    assert DB_NAME not in FORBIDDEN_DATABASES and not DB_NAME.startswith("test_loupe")
    with psycopg.connect("host=127.0.0.1 port=5432 user=root dbname=postgres") as conn:
        conn.autocommit = True
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def migrate() -> None:
    subprocess.run(
        [str(VENV_BIN / "python"), "manage.py", "migrate", "--noinput", "-v0"],
        cwd=REPO,
        env=_clean_parent_env(),
        check=True,
    )


_django_ready = False


def django_setup() -> None:
    """Configure Django in this process against loupe_bench (for data setup and checks)."""
    global _django_ready
    if _django_ready:
        return
    for name in ("CELERY_BROKER_URL", "CACHE_URL", "LOUPE_TEST_DATABASE_NAME", "LOUPE_ENV"):
        os.environ.pop(name, None)
    os.environ.update(bench_env())
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    import django
    from django.conf import settings

    django.setup()
    db_name = settings.DATABASES["default"]["NAME"]
    if db_name != DB_NAME:
        raise SystemExit(f"refusing to run against database {db_name!r}")
    _django_ready = True


def prepare() -> None:
    ensure_database()
    migrate()
    django_setup()


# --------------------------------------------------------------------------- server
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """A running server we started: its PID, port and log file."""

    pid: int
    port: int
    log: Path
    process: subprocess.Popen = field(repr=False)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def wait_http(url: str, *, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}; log:\n{_tail(log)}")
        with (
            contextlib.suppress(OSError, urllib.error.URLError),
            urllib.request.urlopen(url, timeout=2) as response,
        ):
            if response.status < 500:
                return
        time.sleep(0.2)
    raise RuntimeError(f"server not ready after {timeout} s; log:\n{_tail(log)}")


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def stop_process(process: subprocess.Popen, *, name: str = "server") -> None:
    """SIGTERM by PID, then SIGKILL after 15 s; gunicorn's master stops its own workers."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
    print(f"   ({name} pid {process.pid} stopped)", flush=True)


@contextlib.contextmanager
def gunicorn(config: ServerConfig | None = None) -> Iterator[Server]:
    config = config or default_server_config()
    port = free_port()
    log = scratch_dir() / f"gunicorn_{port}.log"
    command = [
        str(VENV_BIN / "gunicorn"),
        "loupe.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        *config.args(),
        "--graceful-timeout",
        "5",
        "--timeout",
        "60",
        "--backlog",
        "2048",
    ]
    with open(log, "wb") as log_handle:
        process = subprocess.Popen(
            command, cwd=REPO, env=_clean_parent_env(), stdout=log_handle, stderr=log_handle
        )
    server = Server(pid=process.pid, port=port, log=log, process=process)
    try:
        wait_http(f"{server.base}/healthz/", process=process, log=log)
        yield server
    finally:
        stop_process(process, name=f"gunicorn {config.label}")


# --------------------------------------------------------------------------- data setup
LABELS = [
    {"name": "car", "color": "#ff0000", "kind": "box"},
    {"name": "person", "color": "#00ff00", "kind": "box"},
    {"name": "bike", "color": "#0000ff", "kind": "box"},
]
IMAGE_SIZE = (640, 480)


def run_tag() -> str:
    return f"{time.strftime('%Y%m%d%H%M%S')}_{os.getpid()}"


def png_bytes(index: int, tag: str, size: tuple[int, int] = IMAGE_SIZE) -> bytes:
    """A small PNG whose bytes are unique per (tag, index): a colour and a few encoded pixels."""
    from PIL import Image

    image = Image.new("RGB", size, ((index * 37) % 256, (index * 91) % 256, 128))
    seed = f"{tag}:{index}".encode()
    for position, byte in enumerate(seed):
        image.putpixel((position % size[0], position // size[0]), (byte, 255 - byte, position))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False, compress_level=1)
    return buffer.getvalue()


def users_create(prefix: str, count: int) -> list[tuple[Any, str]]:
    """`count` users with API tokens: [(user, token_key)]."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    model = get_user_model()
    out = []
    for index in range(count):
        user = model.objects.create_user(f"{prefix}_{index:03d}", password=None)
        token, _ = Token.objects.get_or_create(user=user)
        out.append((user, token.key))
    return out


def project_with_items(
    *,
    tag: str,
    name: str,
    owner: Any,
    annotators: Sequence[Any],
    items: int,
    overlap: int = 1,
    image_size: tuple[int, int] = IMAGE_SIZE,
    workers: int = 1,
    image_tag: str | None = None,
) -> tuple[Any, list[Any]]:
    """A project through the real services, with `items` task items (unique small PNGs).

    `image_tag` fixes the image bytes independently of the run, so a later run reuses the stored
    objects and thumbnails (content-addressed); `workers` > 1 creates the items from forked
    processes in parallel (each with its own database connection).
    """
    from projects import services
    from projects.models import Item

    project = services.project_create(creator=owner, name=name, labels=LABELS, overlap=overlap)
    for user in annotators:
        services.member_set(project=project, username=user.username, role="annotator")
    image_tag = image_tag or f"{tag}:{name}"
    chunks = [range(start, min(items, start + 100)) for start in range(0, items, 100)]
    if workers <= 1:
        for chunk in chunks:
            _items_chunk(project, chunk, image_tag, image_size)
    else:
        import multiprocessing

        from django.db import connections

        connections.close_all()
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            pool.starmap(
                _items_chunk_child,
                [(project.pk, list(chunk), image_tag, image_size) for chunk in chunks],
            )
    return project, list(Item.objects.filter(project=project).order_by("id"))


def _items_chunk(
    project: Any, indexes: Sequence[int], image_tag: str, size: tuple[int, int]
) -> None:
    from projects import services

    files = [
        (f"img_{index:05d}.png", io.BytesIO(png_bytes(index, image_tag, size))) for index in indexes
    ]
    services.items_upload(project=project, files=files)


def _items_chunk_child(
    project_id: int, indexes: list[int], image_tag: str, size: tuple[int, int]
) -> None:
    from django.db import connections

    from projects.models import Project

    try:
        _items_chunk(Project.objects.get(pk=project_id), indexes, image_tag, size)
    finally:
        connections.close_all()


def boxes(count: int, *, marker: str) -> list[dict[str, Any]]:
    """`count` valid boxes inside the 640x480 image; the first shape's id carries `marker`."""
    import uuid

    shapes = []
    for index in range(count):
        x, y = 10 + (index * 53) % 560, 10 + (index * 41) % 400
        shape_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{marker}/{index}"))
        shapes.append(
            {
                "id": shape_id,
                "label": LABELS[index % len(LABELS)]["name"],
                "kind": "box",
                "points": [x, y, x + 40.5, y + 30.25],
                "attributes": {},
                "occluded": False,
            }
        )
    return shapes


# --------------------------------------------------------------------------- statistics
def percentile(values: Sequence[float], p: float) -> float | None:
    """Linear interpolation between closest ranks (same as the LS peer's bench.py)."""
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100.0
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def ratio(a: float | None, b: float | None) -> str:
    if a is None or not b:
        return "-"
    return f"{a / b:.2f}x"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for number, row in enumerate(cells):
        lines.append(
            "| "
            + " | ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
            + " |"
        )
        if number == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def write_results(name: str, payload: dict[str, Any]) -> Path:
    out = scratch_dir() / f"{name}.json"
    out.write_text(json.dumps(payload, indent=2, default=str))
    return out
