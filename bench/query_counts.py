"""SQL queries and in-process time per request for the hot endpoints (DRF test client, no HTTP).

Counts come from django.test.utils.CaptureQueriesContext around one request each; times are the
median of --repeat in-process calls (no network, no gunicorn), each call alternating with a ping
(the floor), and each ratio is to the median of the pings measured beside it.

A one-shape PATCH is measured on a 10-box and a 1,000-box document (bytes answered, time), and
the stale PUT and PATCH are checked to be answered before their body is validated (the number of
validate_shapes calls they make must be 0). Last, the revision storage a one-shape PATCH adds
(a change set, annotate.revisions) beside what a full copy of the document takes.

usage: .venv/bin/python bench/query_counts.py [--sql] [--profile] [--repeat 50]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _common as common  # noqa: E402


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sql", action="store_true", help="print every captured statement")
    parser.add_argument(
        "--profile",
        nargs="?",
        const="PUT annotation, update, 10 boxes",
        help="cProfile one timed case (default: the 10-box PUT), top 35",
    )
    parser.add_argument("--sort", default="tottime", help="pstats order for --profile")
    parser.add_argument("--filter", help="regex of the profiled functions to show")
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeat = 10
    print(f"== queries per request (in-process): {common.machine_line()}", flush=True)
    common.prepare()
    import logging

    logging.getLogger("django.request").setLevel(logging.ERROR)  # the 412 case is expected
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    tag = common.run_tag()
    owner = common.users_create(f"qc{tag}_owner", 1)[0][0]
    (annotator, token), (other, other_token) = common.users_create(f"qc{tag}_ann", 2)
    project, items = common.project_with_items(
        tag=tag, name=f"qc-{tag}", owner=owner, annotators=[annotator, other], items=args.repeat + 4
    )
    client = APIClient(HTTP_HOST="127.0.0.1")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    item = items[0]
    shapes_path = f"/api/v1/items/{item.pk}/annotation/"
    state = {"version": 0}

    # Bodies are encoded before the clock starts: the table times the server, not the client.
    def body_of(count: int) -> str:
        return json.dumps({"shapes": common.boxes(count, marker=f"qc/{time.perf_counter_ns()}")})

    bodies = {count: [body_of(count) for _ in range(args.repeat + 4)] for count in (10, 1000)}

    def put(version: int | None = None, count: int = 10) -> Any:
        return client.put(
            shapes_path,
            data=bodies[count].pop() if bodies[count] else body_of(count),
            content_type="application/json",
            HTTP_IF_MATCH=f'"{state["version"] if version is None else version}"',
        )

    def put_and_advance() -> Any:
        response = put()
        if response.status_code in (200, 201):
            state["version"] = int(response["ETag"].strip('"'))
        return response

    # One-shape edits on a 10-box and a 1,000-box document (items of their own).
    patched: dict[int, dict[str, Any]] = {}
    for size, patch_item in ((10, items[-1]), (1000, items[-2])):
        shapes = common.boxes(size, marker=f"qc/patch/{tag}/{size}")
        path = f"/api/v1/items/{patch_item.pk}/annotation/"
        created = client.put(
            path,
            data=json.dumps({"shapes": shapes}),
            content_type="application/json",
            HTTP_IF_MATCH='"0"',
        )
        assert created.status_code == 201, created.content[:300]
        patched[size] = {"path": path, "shape": shapes[0], "version": 1}

    def patch_one(size: int, version: int | None = None) -> Any:
        target = patched[size]
        shape = target["shape"]
        # Back and forth, so the box stays valid however many times it is moved.
        step = 0.5 if target["version"] % 2 else -0.5
        shape["points"] = [shape["points"][0] + step, *shape["points"][1:]]
        response = client.patch(
            target["path"],
            data=json.dumps({"update": [shape]}),
            content_type="application/json",
            HTTP_IF_MATCH=f'"{target["version"] if version is None else version}"',
        )
        if response.status_code == 200:
            target["version"] = int(response["ETag"].strip('"'))
        return response

    claimed: dict[str, Any] = {}

    def next_item() -> Any:
        response = client.post(f"/api/v1/projects/{project.pk}/queue/next/")
        if response.status_code == 200:
            claimed.update(response.json())
        return response

    def submit_claimed() -> Any:  # the item was claimed by the two queue cases above
        return client.post(f"/api/v1/items/{claimed['id']}/annotation/submit/")

    def submit_current() -> Any:
        item_id = next_item().json()["id"]
        return client.post(f"/api/v1/items/{item_id}/annotation/submit/")

    cases: list[tuple[str, Callable[[], Any], int]] = [
        ("GET /api/v1/ping/ (floor)", lambda: client.get("/api/v1/ping/"), 200),
        ("GET items/{id}/annotation/", lambda: client.get(shapes_path), 200),
        ("PUT annotation, create (If-Match 0)", put_and_advance, 201),
        ("PUT annotation, update, 10 boxes", put_and_advance, 200),
        ("PUT annotation, stale -> 412", lambda: put(version=1), 412),
        ("PUT annotation, stale -> 412, 1,000 boxes", lambda: put(version=1, count=1000), 412),
        ("PATCH one shape of 10", lambda: patch_one(10), 200),
        ("PATCH one shape of 1,000", lambda: patch_one(1000), 200),
        ("PATCH, stale -> 412", lambda: patch_one(1000, version=1), 412),
        ("POST queue/next, claims an item", next_item, 200),
        ("POST queue/next, returns active item", next_item, 200),
        ("POST items/{id}/annotation/submit/", submit_claimed, 200),
    ]
    rows: list[list[Any]] = []
    out: dict[str, Any] = {}
    validations = _count_calls("annotate.services.documents", "validate_shapes")
    for name, call, expected in cases:
        validations.clear()
        with CaptureQueriesContext(connection) as captured:
            response = call()
        if response.status_code != expected:
            raise SystemExit(f"{name}: HTTP {response.status_code} {response.content[:300]!r}")
        statements = [q["sql"] for q in captured.captured_queries]
        out[name] = {
            "queries": len(statements),
            "sql": statements,
            "validations": len(validations),
            "bytes": len(response.content),
        }
        if args.sql:
            print(f"\n-- {name}: {len(statements)} queries")
            for sql in statements:
                print("   ", sql[:220])
    # timings: repeat the steady-state calls
    # The queue cases above claimed and submitted the PUT's item (a submit is a new version).
    state["version"] = int(client.get(shapes_path)["ETag"].strip('"'))
    # name -> (call, the status it must answer: a timing of an error answer would mean nothing)
    timed_cases: dict[str, tuple[Callable[[], Any], int]] = {
        "GET /api/v1/ping/ (floor)": (lambda: client.get("/api/v1/ping/"), 200),
        "PUT annotation, update, 10 boxes": (put_and_advance, 200),
        "PUT annotation, stale -> 412": (lambda: put(version=1), 412),
        "PUT annotation, stale -> 412, 1,000 boxes": (lambda: put(version=1, count=1000), 412),
        "PATCH one shape of 10": (lambda: patch_one(10), 200),
        "PATCH one shape of 1,000": (lambda: patch_one(1000), 200),
        "PATCH, stale -> 412": (lambda: patch_one(1000, version=1), 412),
        "POST queue/next, returns active item": (next_item, 200),
        "POST queue/next + submit (claim cycle)": (submit_current, 200),
    }
    timing_cases = {name: case[0] for name, case in timed_cases.items()}
    # Each case alternates with the floor, and its ratio is to the floor measured beside it:
    # on a shared machine the load changes between cases, not between two adjacent calls.
    floor_call = timing_cases["GET /api/v1/ping/ (floor)"]
    floor_times: list[float] = []
    for name, call in timing_cases.items():
        times: list[float] = []
        beside: list[float] = []
        for _ in range(args.repeat):
            for samples, timed, status in (
                (beside, floor_call, 200),
                (times, call, timed_cases[name][1]),
            ):
                started = time.perf_counter()
                answer = timed()
                samples.append((time.perf_counter() - started) * 1000)
                if answer.status_code != status:
                    raise SystemExit(f"{name}: HTTP {answer.status_code} {answer.content[:300]!r}")
        floor_times += beside
        out.setdefault(name, {})["median_ms"] = statistics.median(times)
        out[name]["floor_ms"] = statistics.median(beside)
        # The fastest call of each is what a quiet machine gives: the ratio least moved by load.
        out[name]["min_ms"], out[name]["floor_min_ms"] = min(times), min(beside)
    for name, values in out.items():
        median = values.get("median_ms")
        rows.append(
            [
                name,
                values.get("queries", "-"),
                values.get("validations", "-"),
                values.get("bytes", "-"),
                common.fmt(median, 2),
                common.ratio(median, values["floor_ms"]) if median is not None else "-",
                common.fmt(values.get("min_ms"), 2) if median is not None else "-",
                common.ratio(values["min_ms"], values["floor_min_ms"])
                if median is not None
                else "-",
            ]
        )
    print("\n== SQL queries and in-process median time per request (DRF test client, Postgres)")
    print(
        common.table(
            [
                "request",
                "queries",
                "validations",
                "bytes out",
                "median ms",
                "x floor",
                "fastest ms",
                "x floor (fastest)",
            ],
            rows,
        )
    )
    if args.profile:
        profiled = timing_cases[args.profile]
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.repeat):
            profiled()
        profiler.disable()
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats(args.sort).print_stats(
            args.filter or "", 35
        )
        print(stream.getvalue())
    revision_rows = _revision_bytes({size: target["path"] for size, target in patched.items()})
    out["revision bytes"] = revision_rows
    print("\n== Revision storage added by a one-shape PATCH, beside a full copy of the document")
    print(
        common.table(
            [
                "document",
                "delta stored (pg_column_size)",
                "delta JSON",
                "full copy (pg_column_size)",
                "full copy JSON",
                "delta / full",
            ],
            [
                [
                    f"{size:,} shapes",
                    row["delta_stored"],
                    row["delta_json"],
                    row["full_stored"],
                    row["full_json"],
                    f"{row['delta_stored'] / row['full_stored']:.2%}",
                ]
                for size, row in revision_rows.items()
            ],
        )
    )
    stale_validated = [
        name for name, values in out.items() if "412" in name and values.get("validations")
    ]
    print(
        "stale writes validated before being refused: "
        + (", ".join(stale_validated) if stale_validated else "none (answered first)")
    )
    common.write_results("query_counts", out)
    return out


def _revision_bytes(paths: dict[int, str]) -> dict[int, dict[str, int]]:
    """Bytes of the last revision of each patched document (a change set) and of its full copy
    (the shapes a full revision would hold), as stored and as JSON text."""
    from django.db import connection

    from annotate.models import AnnotationDocument

    rows = {}
    for size, path in paths.items():
        item_id = int(path.strip("/").split("/")[-2])
        document = AnnotationDocument.objects.get(item_id=item_id)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_column_size(r.changes), octet_length(r.changes::text),"
                " pg_column_size(d.shapes), octet_length(d.shapes::text)"
                " FROM annotate_revision r JOIN annotate_annotationdocument d"
                " ON d.id = r.document_id WHERE d.id = %s AND r.checkpoint = false"
                " ORDER BY r.version DESC LIMIT 1",
                [document.pk],
            )
            delta_stored, delta_json, full_stored, full_json = cursor.fetchone()
        rows[size] = {
            "delta_stored": delta_stored,
            "delta_json": delta_json,
            "full_stored": full_stored,
            "full_json": full_json,
        }
    return rows


def _count_calls(module_name: str, function_name: str) -> list[None]:
    """Wrap module.function so each call appends to the returned list (for the whole run)."""
    import importlib

    module = importlib.import_module(module_name)
    original = getattr(module, function_name)
    calls: list[None] = []

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(None)
        return original(*args, **kwargs)

    setattr(module, function_name, counted)
    return calls


if __name__ == "__main__":
    main()
