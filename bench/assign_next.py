"""Next-item assignment (POST /api/v1/projects/{id}/queue/next/) with 32 concurrent annotators.

32 annotators (one user and one connection each, closed loop) drain a queue of --items task
items (overlap 1): next -> submit -> next ... until the queue answers 204. The floor
(GET /api/v1/ping/) is measured the same way with the same 32 clients just before.

Checked afterwards, from the responses and from the database:
  - items handed to two different clients in responses (must be 0);
  - items with more than one Assignment row, items with assigned_count > overlap (must be 0);
  - items never handed out although the queue said 204 to everyone (must be 0 when drained).

usage: .venv/bin/python bench/assign_next.py [--quick] [--items 2000] [--clients 32]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _common as common  # noqa: E402
from bench._load import Client, Request, Response, StepResult, run_step  # noqa: E402
from bench.save_latency import Ping, summarize  # noqa: E402

TARGET_P95_MS = 30.0


class QueuePull:
    """An annotator: ask for the next item, submit it, ask again, until 204."""

    def __init__(self, *, token: str, project_id: int) -> None:
        self.headers = {"Authorization": f"Token {token}"}
        self.next_path = f"/api/v1/projects/{project_id}/queue/next/"
        self.pending: int | None = None
        self.received: list[int] = []
        self.drained = False

    def setup(self, http: Client) -> None:
        http.send(Request("ping", "GET", "/api/v1/ping/", None, self.headers))

    def next_request(self) -> Request | None:
        if self.drained:
            return None
        if self.pending is not None:
            path = f"/api/v1/items/{self.pending}/annotation/submit/"
            return Request("submit", "POST", path, None, self.headers)
        return Request("next", "POST", self.next_path, None, self.headers)

    def on_response(self, request: Request, response: Response) -> None:
        if request.kind == "next" and response.status == 200:
            self.pending = int(response.json()["id"])
            self.received.append(self.pending)
        elif request.kind == "next" and response.status == 204:
            self.drained = True
        elif request.kind == "submit" and response.status == 200:
            self.pending = None
        else:
            raise RuntimeError(f"{request.kind}: HTTP {response.status} {response.body[:300]!r}")

    def report(self) -> dict[str, Any]:
        return {"received": self.received, "drained": self.drained, "pending": self.pending}


def check(*, project: Any, result: StepResult) -> dict[str, Any]:
    from django.db.models import Count

    from annotate.models import Assignment
    from projects.models import Item

    handed = Counter(item for report in result.reports for item in report.get("received", []))
    owners: dict[int, set[int]] = {}
    for client, report in enumerate(result.reports):
        for item in report.get("received", []):
            owners.setdefault(item, set()).add(client)
    assignments = Assignment.objects.filter(item__project=project)
    multi = assignments.values("item").annotate(n=Count("id")).filter(n__gt=1).count()
    over = Item.objects.filter(project=project, assigned_count__gt=project.overlap).count()
    total = Item.objects.filter(project=project, gold__isnull=True).count()
    never = Item.objects.filter(
        project=project, gold__isnull=True, assignments__isnull=True
    ).count()
    drained = all(report.get("drained") for report in result.reports)
    return {
        "items": total,
        "handed_out": len(handed),
        "assignment_rows": assignments.count(),
        "handed_to_two_clients": sum(1 for clients in owners.values() if len(clients) > 1),
        "handed_twice_same_client": sum(1 for n in handed.values() if n > 1),
        "db_items_with_2plus_assignments": multi,
        "db_items_over_overlap": over,
        "never_handed_out": never,
        "all_clients_drained": drained,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--mode", default="fresh", choices=["fresh", "keepalive"])
    parser.add_argument("--time-cap", type=float, default=90.0, help="seconds for the drain")
    parser.add_argument("--floor-requests", type=int, default=100, help="per client")
    args = parser.parse_args(argv)
    if args.quick:
        args.items, args.time_cap, args.floor_requests = 200, 20.0, 20
    config = common.default_server_config()
    print(f"== queue/next: {common.machine_line()}", flush=True)
    common.prepare()
    tag = common.run_tag()
    owner = common.users_create(f"aq{tag}_owner", 1)[0][0]
    annotators = common.users_create(f"aq{tag}_ann", args.clients)
    started = time.perf_counter()
    project, _ = common.project_with_items(
        tag=tag,
        name=f"queue-bench-{tag}",
        owner=owner,
        annotators=[user for user, _ in annotators],
        items=args.items,
        image_size=(64, 48),
        workers=3,
        image_tag="queue-bench",  # same bytes every run: objects and thumbnails are reused
    )
    print(f"   {args.items} items created in {time.perf_counter() - started:.1f} s", flush=True)
    tokens = [token for _, token in annotators]
    keepalive = args.mode == "keepalive"
    with common.gunicorn(config) as server:
        print(f"   gunicorn {config.label} pid {server.pid} on :{server.port}", flush=True)
        options = dict(
            port=server.port, clients=args.clients, keepalive=keepalive, server_pid=server.pid
        )
        run_step(lambda i: Ping(tokens[i]), max_requests=10, time_cap_s=5, **options)  # warm-up
        floor = run_step(
            lambda i: Ping(tokens[i]),
            max_requests=args.floor_requests,
            time_cap_s=20,
            **options,
        )
        drain = run_step(
            lambda i: QueuePull(token=tokens[i], project_id=project.pk),
            max_requests=4 * args.items // args.clients + 20,
            time_cap_s=args.time_cap,
            **options,
        )
    checks = check(project=project, result=drain)
    results = {
        "config": config.label,
        "machine": common.machine_line(),
        "mode": args.mode,
        "floor": summarize(floor, "ping"),
        "next": summarize(drain, "next"),
        "submit": summarize(drain, "submit"),
        "drain_wall_s": drain.wall_s,
        "checks": checks,
    }
    print_table(results, clients=args.clients)
    common.write_results("assign_next", results)
    return results


def print_table(results: dict[str, Any], *, clients: int) -> None:
    floor = results["floor"]
    rows = []
    for key, name in (
        ("floor", "GET ping"),
        ("next", "POST queue/next"),
        ("submit", "POST submit"),
    ):
        s = results[key]
        rows.append(
            [
                name,
                s["n"],
                common.fmt(s["rps"], 0),
                common.fmt(s["p50"]),
                common.fmt(s["p95"]),
                common.fmt(s["p99"]),
                "" if key == "floor" else common.ratio(s["p50"], floor["p50"]),
                "" if key == "floor" else common.ratio(s["p95"], floor["p95"]),
                " ".join(f"{k}:{v}" for k, v in sorted(s["statuses"].items())),
            ]
        )
    print(
        f"\n== queue/next, {clients} annotators, {results['checks']['items']} items, overlap 1, "
        f"gunicorn {results['config']}, {results['mode']} connections; ms"
    )
    print(
        common.table(
            ["request", "n", "req/s", "p50", "p95", "p99", "p50/floor", "p95/floor", "statuses"],
            rows,
        )
    )
    c = results["checks"]
    print(
        f"drain: {c['handed_out']}/{c['items']} items handed out in {results['drain_wall_s']:.1f} s"
        f" ({c['handed_out'] / results['drain_wall_s']:.0f} items/s), all clients saw 204: "
        f"{c['all_clients_drained']}"
    )
    print(
        f"double assignments: {c['handed_to_two_clients']} in responses (same item to two "
        f"clients), {c['db_items_with_2plus_assignments']} in the DB (items with >1 assignment), "
        f"{c['db_items_over_overlap']} items over overlap; {c['handed_twice_same_client']} "
        f"re-handed to the same client; {c['never_handed_out']} never handed out"
    )
    p95 = results["next"]["p95"]
    verdict = "PASS" if p95 is not None and p95 <= TARGET_P95_MS else "FAIL"
    print(
        f"target: queue/next p95 <= {TARGET_P95_MS:.0f} ms at {clients}: {common.fmt(p95)} ms "
        f"-> {verdict}"
    )


if __name__ == "__main__":
    main()
