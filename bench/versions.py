"""Versioning at scale on Postgres: snapshot, re-snapshot after a 1% relabel, diff, COCO export
(time and peak RSS as VmHWM, in a subprocess), JSONL import; each beside a floor from the same
run (a raw `COPY (SELECT ...) TO STDOUT` of the rows the step has to read).

    python bench/versions.py                  # 20,000 items x 10 boxes (a few minutes here)
    python bench/versions.py --items 100000   # the DESIGN.md target size
    python bench/versions.py --database loupe_bench_versions_2 --profile snapshot

The data goes in fast and not through the API (COPY of assets, items and accepted documents
shaped as annotate stores them). The database (`loupe_bench_versions` unless --database names
another whose name contains "bench") belongs to this script: it is dropped and created at the
start of a run (and dropped at the end unless --keep). --profile STEP prints the cProfile top of
one step (snapshot, resnapshot, diff, export, import). --steps runs only some of them, e.g.
`--steps resnapshot,diff` (the first snapshot always runs: every other step needs it; diff
needs resnapshot, which it then runs too).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench._common import LABELS, fmt, machine_line, scratch_env, table  # noqa: E402

DB_NAME = os.environ.get("LOUPE_BENCH_VERSIONS_DB", "loupe_bench_versions")
DATABASE_URL = f"postgres://root@127.0.0.1:5432/{DB_NAME}"
SCRATCH = Path(tempfile.gettempdir()) / DB_NAME
PROFILE = os.environ.get("LOUPE_BENCH_PROFILE", "")
SHAPES_PER_ITEM = 10
WIDTH, HEIGHT = 640, 480
STEPS = ("snapshot", "again", "resnapshot", "diff", "export", "import")
TARGETS = {
    "snapshot": "≤ 10 s at 100k",
    "re-snapshot (1% relabel)": "≤ 2 s at 100k",
    "diff": "≤ 1 s at 100k",
    "COCO export": "≤ 30 s, ≤ 300 MB, ≤ 3x COPY",
    "JSONL import, predictions": "≥ 5,000 items/s",
}


# --------------------------------------------------------------------------- environment
def bench_env() -> dict[str, str]:
    return scratch_env(SCRATCH, DATABASE_URL=DATABASE_URL, LOG_LEVEL="WARNING")


def database_recreate(*, drop_only: bool = False) -> None:
    """Drop and create this script's own database (never any other)."""
    import psycopg

    assert "bench" in DB_NAME and DB_NAME.replace("_", "").isalnum(), DB_NAME
    with psycopg.connect("host=127.0.0.1 port=5432 user=root dbname=postgres") as conn:
        conn.autocommit = True
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}"')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def django_setup() -> None:
    for name in ("CELERY_BROKER_URL", "CACHE_URL", "LOUPE_TEST_DATABASE_NAME", "LOUPE_ENV"):
        os.environ.pop(name, None)
    os.environ.update(bench_env())
    import django
    from django.conf import settings

    django.setup()
    if settings.DATABASES["default"]["NAME"] != DB_NAME:
        raise SystemExit("refusing to run against another database")


def migrate() -> None:
    env = {**os.environ, **bench_env()}
    for name in ("CELERY_BROKER_URL", "CACHE_URL", "LOUPE_TEST_DATABASE_NAME", "LOUPE_ENV"):
        env.pop(name, None)
    command = [sys.executable, "manage.py", "migrate", "--noinput", "-v0"]
    subprocess.run(command, cwd=REPO, env=env, check=True)


# --------------------------------------------------------------------------- data
def shapes_of(index: int, labels: list[dict[str, Any]], *, relabel: int = 0) -> list[dict]:
    """Ten boxes as annotate stores them (validate_shapes' normal form), unique per item."""
    shapes = []
    for number in range(SHAPES_PER_ITEM):
        label = labels[(index + number + relabel) % len(labels)]
        x = float(5 + (index * 7 + number * 53) % 560) + relabel
        y = float(5 + (index * 3 + number * 41) % 400)
        shapes.append(
            {
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench/{index}/{number}")),
                "label": label["name"],
                "kind": "box",
                "points": [x, y, x + 40.5, y + 30.25],
                "attributes": {},
                "occluded": False,
                "label_id": label["id"],
            }
        )
    return shapes


def dataset_insert(items: int) -> dict[str, Any]:
    """Users, a project through the services, then assets, items and accepted documents by COPY."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from formats.canonical import content_hash
    from projects import services

    users = get_user_model().objects
    manager = users.create_user("bench_manager", password=None, is_superuser=True)
    annotator = users.create_user("bench_annotator", password=None)
    vendor = users.create_user("bench_vendor", password=None)
    project = services.project_create(creator=manager, name="versions bench", labels=LABELS)
    services.member_set(project=project, username=annotator.username, role="annotator")
    services.member_set(project=project, username=vendor.username, role="annotator")
    now = timezone.now()
    hashes = [hashlib.sha256(f"bench-asset/{index}".encode()).hexdigest() for index in range(items)]
    with connection.cursor() as cursor:
        columns = "(sha256, size, mime, width, height, created_at)"
        with cursor.copy(f"COPY storage_asset {columns} FROM STDIN") as copy:
            for digest in hashes:
                copy.write_row((digest, 1000, "image/png", WIDTH, HEIGHT, now))
        cursor.execute("SELECT sha256, id FROM storage_asset")
        asset_ids = dict(cursor.fetchall())
        columns = "(project_id, asset_id, name, split, metadata, assigned_count, created_at)"
        with cursor.copy(f"COPY projects_item {columns} FROM STDIN") as copy:
            for index, digest in enumerate(hashes):
                split = ("train", "train", "train", "val", "test")[index % 5]
                name = f"img_{index:06d}.png"
                copy.write_row((project.pk, asset_ids[digest], name, split, "{}", 1, now))
        cursor.execute(
            "SELECT id FROM projects_item WHERE project_id = %s ORDER BY id", [project.pk]
        )
        item_ids = [row[0] for row in cursor.fetchall()]
        columns = (
            "(item_id, annotator_id, kind, shapes, content_hash, version, status, created_at,"
            " updated_at, submitted_at)"
        )
        labels = services.Project.objects.get(pk=project.pk).labels
        with cursor.copy(f"COPY annotate_annotationdocument {columns} FROM STDIN") as copy:
            for index, item_id in enumerate(item_ids):
                shapes = shapes_of(index, labels)
                row = (item_id, annotator.pk, "annotator", json.dumps(shapes))
                row += (content_hash(shapes), 3, "accepted", now, now, now)
                copy.write_row(row)
        cursor.execute("ANALYZE")
    return {"project": project, "manager": manager, "vendor": vendor, "item_ids": item_ids}


def relabel(project: Any, item_ids: list[int], *, slice_number: int) -> int:
    """Change the shapes of 1% of the items (a different 1% per slice)."""
    from django.db import connection

    from formats.canonical import content_hash

    rows = []
    for index, item_id in enumerate(item_ids):
        if index % 100 == slice_number:
            shapes = shapes_of(index, project.labels, relabel=1 + slice_number)
            rows.append((json.dumps(shapes), content_hash(shapes), item_id))
    with connection.cursor() as cursor:
        cursor.executemany(
            "UPDATE annotate_annotationdocument SET shapes = %s::jsonb, content_hash = %s,"
            " version = version + 1, updated_at = now() WHERE item_id = %s",
            rows,
        )
    return len(rows)


# --------------------------------------------------------------------------- measurements
def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def profiled(step: str, work: Callable[[], Any]) -> tuple[float, Any]:
    """`timed`, under cProfile when --profile names this step (prints the top 25 by cumtime)."""
    if not PROFILE or step != PROFILE:
        return timed(work)
    import cProfile
    import pstats

    profile = cProfile.Profile()
    seconds, result = timed(lambda: profile.runcall(work))
    print(f"--- profile of {step}: {seconds:.2f} s", file=sys.stderr)
    pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
    pstats.Stats(profile, stream=sys.stderr).sort_stats("tottime").print_stats(15)
    return seconds, result


def copy_seconds(query: str) -> tuple[float, int]:
    """A raw COPY (query) TO STDOUT through the same driver, reading every byte."""
    from django.db import connection

    def run() -> int:
        size = 0
        with connection.cursor() as cursor, cursor.copy(f"COPY ({query}) TO STDOUT") as copy:
            for data in copy:
                size += len(data)
        return size

    return timed(run)


def snapshot(project: Any, user: Any, step: str = "snapshot") -> tuple[float, dict[str, Any]]:
    from versioning import services
    from versioning.models import Job

    params = {"message": "", "source": "accepted", "filters": {}}
    job = Job.objects.create(kind="snapshot", project=project, created_by=user, params=params)
    return profiled(step, lambda: services.version_snapshot(job=job))


def documents_query(project_id: int, *, with_shapes: bool) -> str:
    columns = "d.item_id, d.kind, d.updated_at, d.id, d.content_hash, d.annotator_id"
    if with_shapes:
        columns += ", d.shapes"
    return (
        f"SELECT {columns} FROM annotate_annotationdocument d JOIN projects_item i"
        f" ON i.id = d.item_id WHERE i.project_id = {int(project_id)} AND d.status = 'accepted'"
    )


def full_version(version_id: str) -> str:
    """The version whose stored rows are a plain table read of as many rows as this one has:
    itself when stored in full, else its base. Floors read those rows straight from the table
    (as they did before versions were stored as deltas), never through the VersionItem view:
    the view's work on a delta is the step's cost, not the floor's."""
    from versioning.models import DatasetVersion

    version = DatasetVersion.objects.get(pk=version_id)
    return version.base_id or version.pk


def version_rows_query(version_id: str) -> str:
    stored = full_version(version_id)
    assert all(c in "0123456789abcdef" for c in stored)
    return (
        "SELECT item_id, asset_sha256, annotation_hash, split FROM versioning_versionrow"
        f" WHERE version_id = '{stored}'"
    )


def export_rows_query(version_id: str) -> str:
    stored = full_version(version_id)
    assert all(c in "0123456789abcdef" for c in stored)
    return (
        "SELECT v.item_id, v.asset_sha256, v.split, a.mime, a.width, a.height, i.metadata,"
        " b.shapes FROM versioning_versionrow v JOIN projects_item i ON i.id = v.item_id"
        " JOIN storage_asset a ON a.id = i.asset_id LEFT JOIN versioning_annotationblob b"
        f" ON b.content_hash = v.annotation_hash WHERE v.version_id = '{stored}'"
        " ORDER BY v.item_id"
    )


def export_in_child(version_id: str, format_name: str) -> dict[str, Any]:
    """Run the export job in a fresh process: its time and its peak RSS."""
    command = [sys.executable, __file__, "--child-export", version_id, "--format", format_name]
    done = subprocess.run(command, cwd=REPO, check=True, capture_output=True, text=True)
    if PROFILE == "export":
        print(done.stderr, file=sys.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def child_export(version_id: str, format_name: str) -> None:
    django_setup()
    from versioning import services
    from versioning.models import DatasetVersion, ExportFile, Job

    if os.environ.get("LOUPE_BENCH_EXPORT_CHUNK"):  # to try other page sizes
        from versioning import exports

        exports.CHUNK = int(os.environ["LOUPE_BENCH_EXPORT_CHUNK"])
    version = DatasetVersion.objects.get(pk=version_id)
    ExportFile.objects.filter(version=version, format=format_name).delete()
    params = {"version": version_id, "format": format_name}
    job = Job.objects.create(kind="export", project=version.project, params=params)
    import formats.coco  # noqa: F401  # the codec's import is not the export's cost
    import formats.jsonl  # noqa: F401

    before = _rss_mb()
    seconds, result = profiled("export", lambda: services.version_export(job=job))
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss across fork and exec, so a child of a
    # benchmark process holding 300 MB reported 300 MB whatever the export used.
    peak = _rss_mb("VmHWM")
    line = {"seconds": seconds, "peak_mb": peak, "before_mb": before, "size": result["size"]}
    print(json.dumps(line))


def _rss_mb(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def jsonl_file(version: Any, path: Path, *, limit: int | None = None) -> int:
    """The version's JSONL export, without `label_id`: formats.importing does not take that
    field yet (see bench/README.md), so a Loupe export does not re-import as it is."""
    from formats.jsonl import write_jsonl
    from formats.records import ItemShapes
    from versioning.exports import version_items

    items = version_items(version)

    def some() -> Any:
        for number, entry in enumerate(items()):
            if limit is not None and number >= limit:
                return
            shapes = [{k: v for k, v in s.items() if k != "label_id"} for s in entry.shapes]
            yield ItemShapes(entry.item, shapes)

    with open(path, "wb") as out:
        write_jsonl(out, labels=version.labels, items=some)
    return path.stat().st_size


def import_run(project: Any, user: Any, path: Path, **params: Any) -> tuple[float, dict]:
    from versioning import imports
    from versioning.models import Job

    with open(path, "rb") as upload:
        key, sha256 = imports.upload_store(upload, path.name)
    params |= {"format": "jsonl", "file_key": key, "file_name": path.name, "sha256": sha256}
    job = Job.objects.create(kind="import", project=project, created_by=user, params=params)
    return profiled(
        "import" if params["target"] == "predictions" else "",
        lambda: imports.project_import(job=job),
    )


def parse_only(path: Path, labels: list[dict]) -> tuple[float, int]:
    from formats.jsonl import read_jsonl

    def run() -> int:
        with open(path, "rb") as fp:
            return sum(1 for _ in read_jsonl(fp, labels=labels))

    return timed(run)


# --------------------------------------------------------------------------- the run
def _without(argv: list[str], *options: str) -> list[str]:
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in options:
            skip = True
        elif not arg.startswith(tuple(f"{option}=" for option in options)):
            out.append(arg)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--vendor-items", type=int, default=1000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--database", help="another database of this script's own (see above)")
    parser.add_argument("--profile", help="cProfile one step: snapshot, resnapshot, diff, ...")
    parser.add_argument(
        "--steps",
        default=",".join(STEPS),
        help=f"comma-separated steps to run, of {', '.join(STEPS)} (default: all)",
    )
    parser.add_argument("--child-export", help=argparse.SUPPRESS)
    parser.add_argument("--format", default="coco", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.database or args.profile:
        # Module constants, read by the child export too: set them and start again.
        os.environ["LOUPE_BENCH_VERSIONS_DB"] = args.database or DB_NAME
        os.environ["LOUPE_BENCH_PROFILE"] = args.profile or ""
        argv = [a for a in sys.argv[1:] if a not in (f"--database={args.database}",)]
        argv = _without(argv, "--database", "--profile")
        os.execv(sys.executable, [sys.executable, __file__, *argv])
    if args.child_export:
        child_export(args.child_export, args.format)
        return
    args.steps = set(args.steps.split(","))
    unknown = args.steps - set(STEPS)
    if unknown:
        parser.error(f"unknown step {sorted(unknown)[0]!r}; use some of {', '.join(STEPS)}")
    if "diff" in args.steps:
        args.steps.add("resnapshot")
    print(machine_line(), flush=True)
    database_recreate()
    migrate()
    django_setup()
    try:
        rows, notes = measure(args)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            database_recreate(drop_only=True)
    print()
    print(table(["step", "n", "median", "floor (same run)", "ratio", "target"], rows))
    for note in notes:
        print(f"- {note}")
    print(machine_line())


def measure(args: argparse.Namespace) -> tuple[list[list[str]], list[str]]:
    from versioning import selectors
    from versioning.models import DatasetVersion

    n, repeats = args.items, args.repeats
    seconds, data = timed(lambda: dataset_insert(n))
    project, manager, item_ids = data["project"], data["manager"], data["item_ids"]
    project.refresh_from_db()
    notes = [f"{n} items x {SHAPES_PER_ITEM} boxes inserted by COPY in {seconds:.1f} s"]
    print(notes[0], flush=True)
    rows: list[list[str]] = []

    def row(step: str, times: list[float], floors: list[float], target: str = "") -> None:
        median, floor = statistics.median(times), statistics.median(floors) if floors else None
        ratio = f"{median / floor:.1f}x" if floor else "-"
        floor_text = f"{fmt(floor, 2)} s" if floor is not None else "-"
        rows.append([step, str(len(times)), f"{median:.2f} s", floor_text, ratio, target])
        print(rows[-1], flush=True)

    steps = args.steps
    with_shapes = documents_query(project.pk, with_shapes=True)
    floors = [copy_seconds(with_shapes)[0] for _ in range(repeats)]
    first_seconds, first = snapshot(project, manager)
    row("snapshot (first, writes blobs)", [first_seconds], floors, TARGETS["snapshot"])
    hashes_only = documents_query(project.pk, with_shapes=False)
    hash_floors = [copy_seconds(hashes_only)[0] for _ in range(repeats)]
    if "again" in steps:
        same_seconds = [snapshot(project, manager, "again")[0] for _ in range(repeats)]
        row("snapshot again, nothing changed", same_seconds, hash_floors)
    versions = [first["version"]]
    if "resnapshot" in steps:
        resnap = []
        for slice_number in range(repeats):
            changed = relabel(project, item_ids, slice_number=slice_number)
            seconds, result = snapshot(project, manager, "resnapshot")
            resnap.append(seconds)
            versions.append(result["version"])
        row(
            f"re-snapshot after 1% relabel ({changed} docs)",
            resnap,
            hash_floors,
            TARGETS["re-snapshot (1% relabel)"],
        )
    old = DatasetVersion.objects.get(pk=versions[0])
    new = DatasetVersion.objects.get(pk=versions[-1] if len(versions) == 1 else versions[1])
    if "diff" in steps:
        diffs = [
            profiled("diff", lambda: selectors.version_diff(old=old, new=new))
            for _ in range(repeats)
        ]
        totals = diffs[0][1].totals
        diff_floors = [
            copy_seconds(version_rows_query(old.pk))[0]
            + copy_seconds(version_rows_query(new.pk))[0]
            for _ in range(repeats)
        ]
        row("diff of the first two versions", [d[0] for d in diffs], diff_floors, TARGETS["diff"])
        notes.append(f"diff totals: {totals}")
    if "export" in steps:
        export_floors = [copy_seconds(export_rows_query(new.pk))[0] for _ in range(repeats)]
        exports = [export_in_child(new.pk, "coco") for _ in range(max(1, repeats - 1))]
        row(
            "COCO export (job, subprocess)",
            [e["seconds"] for e in exports],
            export_floors,
            TARGETS["COCO export"],
        )
        peak = statistics.median(e["peak_mb"] for e in exports)
        before = statistics.median(e["before_mb"] for e in exports)
        notes.append(
            f"COCO export peak RSS {peak:.0f} MB (process with Django loaded: {before:.0f} MB"
            f" before the export), file {exports[0]['size'] / 2**20:.0f} MB"
        )
    if "import" in steps:
        rows.extend(import_rows(args, new, project, data, notes))
    return rows, notes


def import_rows(
    args: argparse.Namespace, version: Any, project: Any, data: dict, notes: list[str]
) -> list[list[str]]:
    out: list[list[str]] = []
    path = SCRATCH / "import.jsonl"
    size = jsonl_file(version, path)
    n = args.items
    parse_seconds, parsed = parse_only(path, version.labels)
    assert parsed == n
    manager, vendor = data["manager"], data["vendor"]

    def rate_row(step: str, seconds: float, count: int, target: str = "") -> None:
        floor = f"{parse_seconds:.2f} s (codec parse, {n / parse_seconds:,.0f}/s)"
        rate = f"{seconds:.2f} s = {count / seconds:,.0f} items/s"
        out.append([step, "1", rate, floor if count == n else "-", "-", target])
        print(out[-1], flush=True)

    seconds, result = import_run(project, manager, path, target="predictions", source="model")
    assert result["written"] == n, result
    rate_row("JSONL import, predictions", seconds, n, TARGETS["JSONL import, predictions"])
    seconds, result = import_run(project, manager, path, target="predictions", source="model")
    assert result["unchanged"] == n, result
    rate_row("JSONL re-import, unchanged", seconds, n)
    small = SCRATCH / "vendor.jsonl"
    count = min(args.vendor_items, n)
    jsonl_file(version, small, limit=count)
    params = {"target": "annotations", "annotator": vendor.username, "annotator_id": vendor.pk}
    seconds, result = import_run(project, manager, small, **params)
    assert result["written"] == count, result
    rate_row(f"JSONL import, annotations ({count} items)", seconds, count)
    notes.append(f"JSONL file {size / 2**20:.0f} MB for {n} items")
    path.unlink()
    small.unlink()
    return out


if __name__ == "__main__":
    main()
