"""Time from submit to score visible: an annotator submits a hidden-gold item over HTTP, gunicorn
publishes `annotation_submitted` after commit, a real Celery worker (Redis broker) scores it
against gold and writes the GoldScore row; the clock stops when that row is readable in
Postgres. For 10-shape and 1,000-shape documents, next to two floors measured in the same run:
`GET /api/v1/ping/` and the bare submit response. Target (issue 7): p95 <= 1 s.

Each sample is one submit at a time (latency, not throughput), after warm-up submits. The
candidate shapes are the gold boxes moved by 1 px with every 7th one given another class, so
matching does real work (TP and class errors).

Postgres database `loupe_score_bench` (created if missing, migrated, never dropped), Redis db 12
on 127.0.0.1 with a queue of this run's own; both can be changed (--database, --redis-db).
Objects under /tmp/loupe_bench_score/. gunicorn and the worker are subprocesses stopped by
their PID in a `finally`.

usage: python bench/submit_to_score.py [--samples 30] [--large-samples 15]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench._common import (  # noqa: E402
    VENV_BIN,
    boxes,
    default_server_config,
    fmt,
    free_port,
    machine_line,
    percentile,
    project_with_items,
    ratio,
    run_tag,
    scratch_env,
    stop_process,
    table,
    users_create,
    wait_http,
)

SCRATCH = Path("/tmp/loupe_bench_score")
FORBIDDEN = {"loupe", "test", "loupe_bench"}
POLL_SECONDS = 0.002
TIMEOUT_SECONDS = 30.0


def bench_env(database: str, redis_db: int, queue: str) -> dict[str, str]:
    return scratch_env(
        SCRATCH,
        DATABASE_URL=f"postgres://root@127.0.0.1:5432/{database}",
        CELERY_BROKER_URL=f"redis://127.0.0.1:6379/{redis_db}",
        CELERY_QUEUE=queue,
        LOG_LEVEL="WARNING",
    )


def prepare(env: dict[str, str], database: str) -> None:
    import psycopg

    if database in FORBIDDEN or database.startswith("test_"):
        raise SystemExit(f"refusing to use database {database!r}")
    with psycopg.connect("host=127.0.0.1 port=5432 user=root dbname=postgres") as conn:
        conn.autocommit = True
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone():
            conn.execute(f'CREATE DATABASE "{database}"')
    for name in ("CACHE_URL", "LOUPE_TEST_DATABASE_NAME", "LOUPE_ENV"):
        os.environ.pop(name, None)
    os.environ.update(env)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=REPO, env=os.environ, check=True
    )
    import django

    django.setup()


def candidate_of(gold: list[dict]) -> list[dict]:
    """The gold boxes moved by 1 px, every 7th with another class: matched, with class errors."""
    labels = ["car", "person", "bike"]
    shapes = []
    for index, shape in enumerate(gold):
        x0, y0, x1, y1 = shape["points"]
        label = shape["label"]
        if index % 7 == 3:
            label = labels[(labels.index(label) + 1) % len(labels)]
        shapes.append(
            {
                **shape,
                "id": str(uuid.uuid4()),
                "label": label,
                "points": [x0 + 1, y0 + 1, x1 + 1, y1 + 1],
            }
        )
    return shapes


def gold_items(tag: str, manager, annotator, counts: dict[int, int]) -> dict[int, list[tuple]]:
    """Per shape count: [(item id, document id, content hash)] of hidden gold items whose
    annotator draft is saved and waits for its submit."""
    from annotate.services import annotation_save
    from quality.models import GoldPurpose
    from quality.services import gold_set

    total = sum(counts.values())
    project, items = project_with_items(
        tag=tag, name=f"score bench {tag}", owner=manager, annotators=[annotator], items=total
    )
    prepared: dict[int, list[tuple]] = {}
    position = 0
    for shapes, count in counts.items():
        prepared[shapes] = []
        for item in items[position : position + count]:
            gold = boxes(shapes, marker=f"{tag}/{item.pk}")
            gold_set(item=item, shapes=gold, author=manager, purpose=GoldPurpose.HIDDEN)
            document = annotation_save(
                user=annotator, item=item, shapes=candidate_of(gold), expected_version=0
            )
            prepared[shapes].append((item.pk, document.pk, document.content_hash))
        position += count
    return prepared


class Client:
    def __init__(self, port: int, token: str) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Authorization": f"Token {token}", "Accept": "application/json"}

    def call(self, method: str, path: str) -> tuple[int, bytes]:
        self.connection.request(method, path, headers=self.headers)
        response = self.connection.getresponse()
        return response.status, response.read()


def wait_scored(document_id: int, content_hash: str, started: float) -> float:
    """Seconds from `started` until the score of exactly these shapes is readable."""
    from quality.models import GoldScore

    visible = GoldScore.objects.filter(document_id=document_id, document_hash=content_hash)
    while not visible.exists():
        if time.perf_counter() - started > TIMEOUT_SECONDS:
            raise SystemExit(f"document {document_id} was not scored within {TIMEOUT_SECONDS} s")
        time.sleep(POLL_SECONDS)
    return time.perf_counter() - started


def measure(client: Client, prepared: list[tuple]) -> tuple[list[float], list[float]]:
    submits, visible = [], []
    for item_id, document_id, content_hash in prepared:
        started = time.perf_counter()
        status, body = client.call("POST", f"/api/v1/items/{item_id}/annotation/submit/")
        submits.append(time.perf_counter() - started)
        assert status == 200, (status, body[:200])
        assert json.loads(body)["status"] == "submitted"
        visible.append(wait_scored(document_id, content_hash, started))
    return submits, visible


def ping(client: Client, count: int) -> list[float]:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        status, _ = client.call("GET", "/api/v1/ping/")
        times.append(time.perf_counter() - started)
        assert status == 200
    return times


def start_server(env: dict[str, str]) -> tuple[subprocess.Popen, int, Path]:
    config = default_server_config()
    port = free_port()
    log = SCRATCH / f"gunicorn_{port}.log"
    command = [
        str(VENV_BIN / "gunicorn"),
        "loupe.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        *config.args(),
        "--timeout",
        "60",
    ]
    with open(log, "wb") as handle:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=handle, stderr=handle)
    wait_http(f"http://127.0.0.1:{port}/healthz/", process=process, log=log)
    return process, port, log


def start_worker(env: dict[str, str], queue: str) -> subprocess.Popen:
    log = SCRATCH / f"worker_{queue}.log"
    command = [
        sys.executable, "-m", "celery", "-A", "loupe", "worker", "-P", "solo", "-Q", queue,
        "-n", f"{queue}@%h", "-l", "warning",
        "--without-heartbeat", "--without-gossip", "--without-mingle",
    ]  # fmt: skip
    with open(log, "wb") as handle:
        return subprocess.Popen(command, cwd=REPO, env=env, stdout=handle, stderr=handle)


def wait_worker(queue: str) -> None:
    from loupe.celery import app

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=0.5)
        if any(name.startswith(f"{queue}@") for reply in replies for name in reply):
            return
    raise SystemExit("the worker did not answer within 120 s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=30, help="10-shape submits")
    parser.add_argument("--large-samples", type=int, default=15, help="1,000-shape submits")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--database", default="loupe_score_bench")
    parser.add_argument("--redis-db", type=int, default=12)
    args = parser.parse_args()

    tag = run_tag()
    queue = f"bench-score-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, **bench_env(args.database, args.redis_db, queue)}
    for name in ("CACHE_URL", "LOUPE_TEST_DATABASE_NAME", "LOUPE_ENV"):
        env.pop(name, None)
    prepare(env, args.database)
    (manager, _), (annotator, token) = users_create(f"score_{tag}", 2)
    counts = {10: args.warmup + args.samples, 1000: args.large_samples}
    print(f"setting up {sum(counts.values())} hidden gold items ...", flush=True)
    prepared = gold_items(tag, manager, annotator, counts)

    server = worker = None
    try:
        worker = start_worker(env, queue)
        server, port, _ = start_server(env)
        wait_worker(queue)
        client = Client(port, token)
        ping(client, 20)  # warm-up: code imported, connections open
        measure(client, prepared[10][: args.warmup])
        floor = ping(client, args.samples)
        small_submit, small_visible = measure(client, prepared[10][args.warmup :])
        large_submit, large_visible = measure(client, prepared[1000])
    finally:
        if server is not None:
            stop_process(server, name="gunicorn")
        if worker is not None:
            stop_process(worker, name="celery worker")

    ms = 1000
    rows = [
        [
            "GET /ping/ (floor)",
            len(floor),
            fmt(percentile(floor, 50) * ms),
            fmt(percentile(floor, 95) * ms),
            "1.00x",
            "",
        ]
    ]
    for label, submits, visible in (
        ("10 shapes", small_submit, small_visible),
        ("1,000 shapes", large_submit, large_visible),
    ):
        p50, p95 = percentile(visible, 50), percentile(visible, 95)
        floor50 = percentile(floor, 50)
        rows.append(
            [
                f"submit, {label} (response)",
                len(submits),
                fmt(percentile(submits, 50) * ms),
                fmt(percentile(submits, 95) * ms),
                ratio(percentile(submits, 50), floor50),
                "",
            ]
        )
        verdict = "ok" if p95 is not None and p95 <= 1.0 else "OVER 1 s"
        rows.append(
            [
                f"submit -> score visible, {label}",
                len(visible),
                fmt(p50 * ms),
                fmt(p95 * ms),
                ratio(p50, floor50),
                verdict,
            ]
        )
    print()
    print(machine_line())
    print(
        f"gunicorn {default_server_config().label}; 1 Celery worker (solo) on Redis db "
        f"{args.redis_db}; Postgres {args.database}"
    )
    print(table(["step", "n", "p50 ms", "p95 ms", "p50 / ping", "p95 <= 1 s"], rows))


if __name__ == "__main__":
    main()
