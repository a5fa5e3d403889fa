"""Annotation save (PUT /api/v1/items/{id}/annotation/) latency against gunicorn + Postgres.

For each connection mode (fresh TCP connection per request, and keep-alive) and each concurrency
(1, 8, 32 closed-loop clients) it measures, back to back on the same server:
  floor  GET /api/v1/ping/ (the cheapest authenticated endpoint)
  save   PUT of 10 boxes with If-Match, every client on its own item and its own user
  shared (8 and 32 clients) every client writes the SAME document (one user, many tabs) with
         If-Match; 200s and 412s are counted and the database is checked for lost updates.

usage: .venv/bin/python bench/save_latency.py [--quick] [--clients 1,8,32] [--modes fresh,keepalive]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _common as common  # noqa: E402
from bench._load import (  # noqa: E402
    Client,
    Request,
    Response,
    StepResult,
    alternate,
    json_body,
    run_step,
)  # noqa: E402

SHAPES_PER_SAVE = 10
TARGET_P95_MS = 30.0
TARGET_CLIENTS = 32


# --------------------------------------------------------------------------- scenarios
class Ping:
    def __init__(self, token: str) -> None:
        self.request = Request("ping", "GET", "/api/v1/ping/", None, auth(token))

    def setup(self, http: Client) -> None:
        for _ in range(3):  # warm the worker thread's database connection
            http.send(self.request)

    def next_request(self) -> Request:
        return self.request

    def on_response(self, request: Request, response: Response) -> None:
        pass

    def report(self) -> dict[str, Any]:
        return {}


class Save:
    """PUT 10 boxes with If-Match; on 412 take the server's current version and go again."""

    def __init__(self, *, token: str, item_id: int, client: int) -> None:
        self.token, self.item_id, self.client = token, item_id, client
        self.path = f"/api/v1/items/{item_id}/annotation/"
        self.version = 0
        self.sent = 0
        self.wins: list[tuple[int, str]] = []  # (version the server acknowledged, marker)
        self.stale = 0

    def setup(self, http: Client) -> None:
        response = http.send(Request("get", "GET", self.path, None, auth(self.token)))
        if response.status != 200:
            raise RuntimeError(f"GET {self.path}: {response.status} {response.body[:200]!r}")
        self.version = int(response.headers["etag"].strip('"'))
        http.send(Request("ping", "GET", "/api/v1/ping/", None, auth(self.token)))

    def next_request(self) -> Request:
        self.sent += 1
        marker = f"item{self.item_id}/client{self.client}/save{self.sent}"
        headers = {**auth(self.token), "If-Match": f'"{self.version}"', "X-Marker": marker}
        body = json_body({"shapes": common.boxes(SHAPES_PER_SAVE, marker=marker)})
        return Request("save", "PUT", self.path, body, headers)

    def on_response(self, request: Request, response: Response) -> None:
        if response.status in (200, 201):
            self.version = int(response.headers["etag"].strip('"'))
            self.wins.append((self.version, request.headers["X-Marker"]))
        elif response.status == 412:
            self.stale += 1
            self.version = int(response.json()["current_version"])
        else:
            raise RuntimeError(f"PUT {self.path}: {response.status} {response.body[:300]!r}")

    def report(self) -> dict[str, Any]:
        return {"item": self.item_id, "wins": self.wins, "stale": self.stale}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Token {token}"}


# --------------------------------------------------------------------------- data
def setup_data(tag: str, *, clients: int, shared_steps: int) -> dict[str, Any]:
    from projects.models import Project  # noqa: F401  (Django is ready here)

    owner = common.users_create(f"sv{tag}_owner", 1)[0][0]
    annotators = common.users_create(f"sv{tag}_ann", clients)
    tabs_user, tabs_token = common.users_create(f"sv{tag}_tabs", 1)[0]
    project, items = common.project_with_items(
        tag=tag,
        name=f"save-bench-{tag}",
        owner=owner,
        annotators=[u for u, _ in annotators] + [tabs_user],
        items=clients + shared_steps,
    )
    return {
        "project": project,
        "own": [(token, item.pk) for (_, token), item in zip(annotators, items, strict=False)],
        "shared_items": [item.pk for item in items[clients:]],
        "tabs_user": tabs_user,
        "tabs_token": tabs_token,
    }


def verify_shared(*, item_id: int, user: Any, result: StepResult) -> dict[str, Any]:
    """Every acknowledged save is one Revision with its own shapes; nothing acknowledged is lost.

    A save is lost when the server said 200/201 with ETag n but revision n does not hold that
    request's shapes, when two requests were both told they made version n, or when the
    document does not end at version = number of acknowledged saves holding the last one's shapes.
    """
    from annotate.models import AnnotationDocument
    from annotate.revisions import revisions_with_shapes

    wins = [(int(version), marker) for r in result.reports for version, marker in r.get("wins", [])]
    acknowledged = {version: _marker_id(marker) for version, marker in wins}
    document = AnnotationDocument.objects.get(item_id=item_id, annotator=user, kind="annotator")
    # Autosave revisions hold change sets between checkpoints: rebuild each version's shapes.
    revisions = {
        rev.version: rev.shapes
        for rev in revisions_with_shapes(document, document.revisions.order_by("version"))
    }
    missing_or_wrong = sum(
        1
        for version, shape_id in acknowledged.items()
        if not revisions.get(version) or revisions[version][0]["id"] != shape_id
    )
    duplicate_versions = len(wins) - len(acknowledged)
    last = max(acknowledged) if acknowledged else 0
    final_ok = (
        document.version == len(wins)
        and bool(document.shapes)
        and document.shapes[0]["id"] == acknowledged.get(last)
    )
    return {
        "successes": len(wins),
        "stale_412": sum(report.get("stale", 0) for report in result.reports),
        "final_version": document.version,
        "revisions": len(revisions),
        "unacknowledged_revisions": len(set(revisions) - set(acknowledged)),
        "final_matches_last_write": final_ok,
        "duplicate_versions": duplicate_versions,
        "lost_updates": missing_or_wrong + duplicate_versions + (0 if final_ok else 1),
    }


def warmup(*, port: int, own: list[tuple[str, int]], server_pid: int | None = None) -> None:
    """Touch every worker thread (imports, DB connection) before anything is measured."""
    clients = min(16, len(own))
    run_step(
        lambda i: Ping(own[i][0]),
        port=port,
        clients=clients,
        keepalive=False,
        max_requests=20,
        time_cap_s=5,
        server_pid=server_pid,
    )
    run_step(
        lambda i: Save(token=own[i][0], item_id=own[i][1], client=i),
        port=port,
        clients=clients,
        keepalive=False,
        max_requests=5,
        time_cap_s=5,
        server_pid=server_pid,
    )


def _marker_id(marker: str) -> str:
    return common.boxes(1, marker=marker)[0]["id"]


# --------------------------------------------------------------------------- run
def summarize(result: StepResult, kind: str) -> dict[str, Any]:
    values = result.latencies.get(kind, [])
    statuses = dict(result.statuses.get(kind, {}))
    requests = result.requests
    return {
        "n": len(values),
        "rps": len(values) / result.wall_s if result.wall_s else None,
        "p50": common.percentile(values, 50),
        "p95": common.percentile(values, 95),
        "p99": common.percentile(values, 99),
        "max": max(values) if values else None,
        "statuses": statuses,
        "errors": result.errors,
        "server_cpu_ms_per_req": result.server_cpu_s / requests * 1000
        if result.server_cpu_s is not None and requests
        else None,
        "client_cpu_ms_per_req": result.client_cpu_s / requests * 1000 if requests else None,
        "machine_busy_cores": result.machine_busy_cores,
        "connects": result.connects,
        "topology": result.topology,
        "wall_s": result.wall_s,
    }


def pings(own: list[tuple[str, int]]) -> Callable[[int], Ping]:
    return lambda i: Ping(own[i][0])


def own_saves(own: list[tuple[str, int]]) -> Callable[[int], Save]:
    return lambda i: Save(token=own[i][0], item_id=own[i][1], client=i)


def shared_saves(token: str, item_id: int) -> Callable[[int], Save]:
    return lambda i: Save(token=token, item_id=item_id, client=i)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: few requests per step")
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--shared-clients", default="8,32")
    parser.add_argument("--modes", default="fresh,keepalive")
    parser.add_argument("--requests-per-client", type=int, default=200)
    parser.add_argument(
        "--time-cap", type=float, default=12.0, help="seconds per measurement (all its rounds)"
    )
    parser.add_argument(
        "--rounds", type=int, default=2, help="floor and save alternate this many times"
    )
    parser.add_argument(
        "--think-ms",
        type=float,
        default=500.0,
        help="also run the largest concurrency paced: each client pauses think x U(0.5,1.5) "
        "between requests (0 = skip)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.requests_per_client, args.time_cap = 20, 3.0
    concurrencies = [int(c) for c in args.clients.split(",") if c]
    shared = [int(c) for c in args.shared_clients.split(",") if c]
    modes = [m for m in args.modes.split(",") if m]
    config = common.default_server_config()

    print(f"== save latency: {common.machine_line()}", flush=True)
    common.prepare()
    tag = common.run_tag()
    data = setup_data(tag, clients=max(concurrencies), shared_steps=len(shared) * len(modes))
    shared_items = list(data["shared_items"])
    own = data["own"]
    results: dict[str, Any] = {
        "config": config.label,
        "machine": common.machine_line(),
        "steps": [],
    }
    plan = [(mode, c, 0.0) for mode in modes for c in concurrencies]
    if args.think_ms:  # paced: on the first mode only (the headline, fresh connections)
        plan.append((modes[0], max(concurrencies), args.think_ms / 1000))
    with common.gunicorn(config) as server:
        print(f"   gunicorn {config.label} pid {server.pid} on :{server.port}", flush=True)
        warmup(port=server.port, own=own, server_pid=server.pid)
        for mode, clients, think in plan:
            options = dict(
                port=server.port,
                clients=clients,
                keepalive=mode == "keepalive",
                max_requests=args.requests_per_client,
                time_cap_s=args.time_cap,
                server_pid=server.pid,
                think_s=think,
            )
            step: dict[str, Any] = {"mode": mode, "clients": clients, "think_ms": think * 1000}
            measured = alternate(
                {"floor": (pings(own), {}), "save": (own_saves(own), {})},
                rounds=args.rounds,
                **options,
            )
            step["floor"] = summarize(measured["floor"], "ping")
            step["save"] = summarize(measured["save"], "save")
            print(line(step, "floor") + "\n" + line(step, "save"), flush=True)
            if clients in shared and not think:
                item_id = shared_items.pop(0)
                contended = run_step(shared_saves(data["tabs_token"], item_id), **options)
                step["shared"] = summarize(contended, "save")
                step["shared"]["check"] = verify_shared(
                    item_id=item_id, user=data["tabs_user"], result=contended
                )
                print(line(step, "shared"), step["shared"]["check"], flush=True)
            results["steps"].append(step)
    results["server_log"] = str(server.log)
    print_tables(results)
    common.write_results("save_latency", results)
    return results


def line(step: dict[str, Any], key: str) -> str:
    s = step[key]
    return (
        f"   {step['mode']:9s} c={clients_label(step):<14s} {key:6s} n={s['n']:<5d} "
        f"p50 {common.fmt(s['p50'])} p95 {common.fmt(s['p95'])} p99 {common.fmt(s['p99'])} ms "
        f"{common.fmt(s['rps'], 0)} req/s {s['statuses']}"
    )


def print_tables(results: dict[str, Any]) -> None:
    rows = []
    for step in results["steps"]:
        floor = step["floor"]
        for key in ("floor", "save", "shared"):
            if key not in step:
                continue
            s = step[key]
            name = {"floor": "GET ping", "save": "PUT own doc", "shared": "PUT same doc"}[key]
            rows.append(
                [
                    step["mode"],
                    clients_label(step),
                    name,
                    s["n"],
                    common.fmt(s["rps"], 0),
                    common.fmt(s["p50"]),
                    common.fmt(s["p95"]),
                    common.fmt(s["p99"]),
                    "" if key == "floor" else common.ratio(s["p50"], floor["p50"]),
                    "" if key == "floor" else common.ratio(s["p95"], floor["p95"]),
                    "" if key == "floor" else common.ratio(s["p99"], floor["p99"]),
                    common.fmt(s["server_cpu_ms_per_req"], 2),
                    common.fmt(s["client_cpu_ms_per_req"], 2),
                    common.fmt(s["machine_busy_cores"], 2),
                    _status_text(s["statuses"]),
                ]
            )
    print(f"\n== save latency, gunicorn {results['config']}, Postgres; ms; ratio = x / floor")
    print(
        common.table(
            [
                "conn",
                "clients",
                "request",
                "n",
                "req/s",
                "p50",
                "p95",
                "p99",
                "p50/floor",
                "p95/floor",
                "p99/floor",
                "srv cpu ms/req",
                "cli cpu ms/req",
                "busy cores",
                "statuses",
            ],
            rows,
        )
    )
    checks = [
        [
            step["mode"],
            step["clients"],
            step["shared"]["n"],
            step["shared"]["check"]["successes"],
            step["shared"]["check"]["stale_412"],
            step["shared"]["check"]["final_version"],
            step["shared"]["check"]["revisions"],
            step["shared"]["check"]["unacknowledged_revisions"],
            step["shared"]["check"]["final_matches_last_write"],
            step["shared"]["check"]["lost_updates"],
        ]
        for step in results["steps"]
        if "shared" in step
    ]
    if checks:
        print("\n== contention: N clients PUT the same document with If-Match (checked in the DB)")
        print(
            common.table(
                [
                    "conn",
                    "writers",
                    "attempts",
                    "200/201",
                    "412",
                    "final version",
                    "revisions",
                    "unacked revisions",
                    "final = last ack",
                    "lost updates",
                ],
                checks,
            )
        )
        total_lost = sum(row[-1] for row in checks)
        print(f"lost updates: {total_lost} (computed from the database, all contention steps)")
    for step in results["steps"]:
        if step["clients"] == TARGET_CLIENTS:
            p95 = step["save"]["p95"]
            verdict = "PASS" if p95 is not None and p95 <= TARGET_P95_MS else "FAIL"
            print(
                f"target: PUT p95 <= {TARGET_P95_MS:.0f} ms, {clients_label(step)} clients "
                f"({step['mode']}): {common.fmt(p95)} ms -> {verdict}"
            )


def clients_label(step: dict[str, Any]) -> str:
    if step.get("think_ms"):
        return f"{step['clients']} paced {step['think_ms']:.0f}ms"
    return str(step["clients"])


def _status_text(statuses: dict[str, int]) -> str:
    return " ".join(f"{k}:{v}" for k, v in sorted(statuses.items()))


if __name__ == "__main__":
    main()
