"""Pipeline runs on Celery workers: N items through a 3-step pipeline (image_stats, phash,
near_duplicates) with 1 and 2 workers, then a rerun with nothing changed, each beside a floor:
a bare in-process loop of the same step functions over the same images.

Postgres database $BENCH_DB (default `loupe_h6_bench`, created if missing, never dropped),
broker $BENCH_BROKER (default Redis db 13 on 127.0.0.1) with a queue of this run's own; objects
under $BENCH_SCRATCH (default /tmp/loupe_h6_bench_pipelines/). Workers are
subprocesses of this script (`--worker`), stopped by their PID in a `finally`.

usage: python bench/pipeline_runs.py [--items 2000] [--large]   (--large: 100,000 items)
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench._common import scratch_env  # noqa: E402

DB_NAME = os.environ.get("BENCH_DB", "loupe_h6_bench")
PIPELINE = "bench3"
STEPS = ("image_stats", "phash", "near_duplicates")
SCRATCH = Path(os.environ.get("BENCH_SCRATCH", "/tmp/loupe_h6_bench_pipelines"))


def _env() -> dict[str, str]:
    return scratch_env(
        SCRATCH,
        DATABASE_URL=f"postgres://root@127.0.0.1:5432/{DB_NAME}",
        CELERY_BROKER_URL=os.environ.get("BENCH_BROKER", "redis://127.0.0.1:6379/13"),
        PIPELINE_BATCH_SIZE="100",
    )


def _setup_django() -> None:
    os.environ.pop("CACHE_URL", None)
    os.environ.pop("LOUPE_TEST_DATABASE_NAME", None)
    os.environ.update(_env())
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    import pipelines.builtin

    pipelines.builtin.PIPELINES[PIPELINE] = STEPS  # the workers register it the same way


def _ensure_database() -> None:
    import psycopg

    with psycopg.connect("host=127.0.0.1 port=5432 user=root dbname=postgres") as conn:
        conn.autocommit = True
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone():
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    env = {**os.environ, **_env()}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=REPO, env=env, check=True)


def _png(index: int, tag: str) -> bytes:
    """48x32 pixels (seed[i % 32], seed[7i % 32], index % 256) of the item's own seed: built
    with numpy (the same bytes as a per-pixel putdata, 5x sooner: 100k items to set up)."""
    import numpy as np
    from PIL import Image

    seed = np.frombuffer(hashlib.sha256(f"{tag}:{index}".encode()).digest(), np.uint8)
    position = np.arange(48 * 32)
    pixels = np.empty((48 * 32, 3), np.uint8)
    pixels[:, 0], pixels[:, 1], pixels[:, 2] = (
        seed[position % 32],
        seed[position * 7 % 32],
        index % 256,
    )
    buffer = io.BytesIO()
    Image.fromarray(pixels.reshape(32, 48, 3), "RGB").save(buffer, format="PNG")
    return buffer.getvalue()


def _version(count: int) -> tuple[str, list[bytes]]:
    """A project of `count` fresh images and a version of them, written straight to the rows
    (the snapshot service is not what is measured)."""
    from django.contrib.auth import get_user_model
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from projects.models import Item, Project
    from storage.models import Asset, object_key
    from versioning.models import DatasetVersion, VersionRow

    tag = uuid.uuid4().hex[:8]
    user, _ = get_user_model().objects.get_or_create(username="bench_pipelines")
    project = Project.objects.create(name=f"bench pipelines {tag}", created_by=user, labels=[])
    images, assets = [], []
    for index in range(count):
        if index and index % 20_000 == 0:
            print(f"  {index} images stored", flush=True)
        data = _png(index, tag)
        sha = hashlib.sha256(data).hexdigest()
        default_storage.save(object_key(sha), ContentFile(data))
        images.append(data)
        assets.append(Asset(sha256=sha, size=len(data), mime="image/png", width=48, height=32))
    Asset.objects.bulk_create(assets, batch_size=2000)
    by_sha = dict(
        Asset.objects.filter(sha256__in=[a.sha256 for a in assets]).values_list("sha256", "pk")
    )
    Item.objects.bulk_create(
        [Item(project=project, asset_id=by_sha[a.sha256], split="train") for a in assets],
        batch_size=2000,
    )
    version = DatasetVersion.objects.create(
        id=hashlib.sha256(tag.encode()).hexdigest(),
        project=project,
        schema_hash="0" * 64,
        source="accepted",
        manifest_key="",
    )
    rows = Item.objects.filter(project=project).values_list("pk", "asset__sha256")
    VersionRow.objects.bulk_create(
        [
            VersionRow(version=version, item_id=pk, asset_sha256=sha, split="train")
            for pk, sha in rows
        ],
        batch_size=5000,
    )
    return version.pk, images


def _floor(images: list[bytes]) -> float:
    from pipelines.dag import build_dag
    from pipelines.inputs import ItemLoader
    from pipelines.runner import execute_dataset_unit, execute_unit
    from tests.pipelines.helpers import image_item

    dag = build_dag(STEPS)
    stats, phash, dupes = (dag.step(name) for name in STEPS)
    started = time.perf_counter()
    items = [image_item(str(index), data) for index, data in enumerate(images)]
    loader = ItemLoader()
    hashes = {}
    for item in items:
        execute_unit(stats, item, {}, loader)
        hashes[item.item_id] = execute_unit(phash, item, {}, loader)
    execute_dataset_unit(dupes, items, {"phash": hashes}, loader)
    return time.perf_counter() - started


def _workers(count: int, queue: str) -> list[subprocess.Popen]:
    env = {**os.environ, **_env(), "CELERY_QUEUE": queue}
    return [
        subprocess.Popen(
            [sys.executable, __file__, "--worker", queue, "--name", f"{queue}-{n}"],
            env=env,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for n in range(count)
    ]


def _wait_for_workers(app, queue: str, count: int) -> None:
    """Measure runs, not worker start-up: wait until every worker answers a ping."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=0.5)
        names = {name for reply in replies for name in reply if name.startswith(f"{queue}-")}
        if len(names) >= count:
            return
    raise SystemExit("workers did not answer within 120 s")


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _run(version_id: str, limit: float) -> tuple[float, dict]:
    from django.db import transaction

    from pipelines.services import _run_create
    from versioning.models import DatasetVersion

    version = DatasetVersion.objects.get(pk=version_id)
    started = time.perf_counter()
    with transaction.atomic():
        run = _run_create(version=version, pipeline=PIPELINE, user=None)
    job = run.job
    while True:
        job.refresh_from_db()
        if job.finished:
            break
        if time.perf_counter() - started > limit:
            raise SystemExit(f"run {run.pk} not finished after {limit:.0f} s: {_state(run.pk)}")
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    assert job.status == "succeeded", job.error
    return elapsed, job.result


def _state(run_id: int) -> dict[str, int]:
    from django.db.models import Count

    from pipelines.models import PipelineUnit

    rows = PipelineUnit.objects.filter(run_id=run_id).values_list("step", "state")
    counts = rows.annotate(n=Count("pk")).values_list("step", "state", "n")
    return {f"{step}/{state}": n for step, state, n in counts}


def _phases(run_id: int) -> dict[str, float]:
    """Where a run's time went, from its rows: waiting for a worker, planning up to the first
    finished unit, the per-item units, the dataset unit (round 2's plan, loading its upstream,
    computing, storing) and the finish (the last walk, feature tables and feature index)."""
    from django.db.models import Max, Min

    from pipelines.models import PipelineRun, PipelineUnit

    run = PipelineRun.objects.select_related("job").get(pk=run_id)
    job = run.job
    units = PipelineUnit.objects.filter(run_id=run_id)
    per_item = units.filter(item_id__isnull=False).aggregate(
        first=Min("finished_at"), last=Max("finished_at")
    )
    dataset = units.filter(item_id__isnull=True).aggregate(last=Max("finished_at"))
    marks = [
        ("wait for a worker", job.created_at),
        ("plan", job.started_at),
        ("per-item units", per_item["first"]),
        ("dataset unit", per_item["last"]),
        ("finish", dataset["last"]),
        ("", job.finished_at),
    ]
    if per_item["first"] is None and dataset["last"] is None:
        marks[1] = ("walk and finish, no unit", job.started_at)
    present = [(name, at) for name, at in marks if at is not None]
    return {
        name: (after - at).total_seconds()
        for (name, at), (_, after) in zip(present, present[1:], strict=False)
    }


def _units_of(run_id: int) -> int:
    from pipelines.models import PipelineUnit

    return PipelineUnit.objects.filter(run_id=run_id).count()


def _forget_outputs() -> None:
    from pipelines.models import PipelineOutput

    PipelineOutput.objects.filter(step__in=STEPS).delete()  # this bench's own database


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--large", action="store_true", help="100,000 items")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument(
        "--limit", type=float, default=1800, help="seconds a run may take before the bench stops"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--name", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _setup_django()
        from loupe.celery import app

        app.worker_main(
            [
                "worker",
                "-P",
                "solo",
                "-Q",
                args.worker,
                "-n",
                f"{args.name}@%h",
                "-l",
                "warning",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
            ]
        )
        return
    count = 100_000 if args.large else args.items
    _ensure_database()
    _setup_django()
    from loupe.celery import app

    queue = f"bench-pipelines-{uuid.uuid4().hex[:8]}"
    app.conf.task_default_queue = queue
    print(f"setting up {count} items ...", flush=True)
    version_id, images = _version(count)
    floor = _floor(images)
    print(f"floor: {floor:.1f} s", flush=True)
    units = 2 * count + 1
    rows = []
    for workers in [int(n) for n in args.workers.split(",")]:
        _forget_outputs()
        processes = _workers(workers, queue)
        try:
            _wait_for_workers(app, queue, workers)
            first, result = _run(version_id, args.limit)
            print(f"{workers} worker(s): run {first:.1f} s", flush=True)
            assert result["computed"] == units, result
            again, rerun = _run(version_id, args.limit)
            assert rerun["computed"] == 0, rerun
            assert not _units_of(rerun["run"]), "a rerun with nothing changed created work"
        finally:
            _stop(processes)
        rows.append((f"{workers} worker(s): run", first, units / first, first / floor))
        rows.append((f"{workers} worker(s): rerun, nothing changed", again, 0, again / floor))
        for what, run_id in (("run", result["run"]), ("rerun", rerun["run"])):
            spans = ", ".join(f"{name} {sec:.1f} s" for name, sec in _phases(run_id).items())
            print(f"{workers} worker(s) {what}: {spans}", flush=True)
    print(f"\n{count} items, pipeline {STEPS}, {units} units; floor = bare in-process loop")
    print(f"{'what':42} {'seconds':>9} {'units/s':>9} {'x floor':>8} {'ms/item':>8}")
    line = f"{'floor (same steps, in-process loop)':42} {floor:9.2f} {units / floor:9.0f}"
    print(f"{line} {1:8.2f} {1000 * floor / count:8.2f}")
    for what, seconds, rate, versus in rows:
        line = f"{what:42} {seconds:9.2f} {rate:9.0f} {versus:8.2f}"
        print(f"{line} {1000 * seconds / count:8.2f}")
    one = [seconds for what, seconds, _, _ in rows if what == "1 worker(s): run"]
    two = [seconds for what, seconds, _, _ in rows if what == "2 worker(s): run"]
    if one:
        overhead = 1000 * (one[0] - floor) / count
        print(f"per-item overhead, 1 worker, over the bare loop: {overhead:.2f} ms")
    if one and two:
        print(f"scaling, 2 workers over 1: {one[0] / two[0]:.2f}x")


if __name__ == "__main__":
    main()
