"""Run every benchmark (what `make bench` calls), then print a one-screen summary.

Each benchmark runs in its own process, prints its own tables, and starts and stops its own
servers; one failing does not stop the others (the exit code says so).

usage: .venv/bin/python bench/run_all.py [--quick] [--skip-ls]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _common as common  # noqa: E402

HERE = Path(__file__).resolve().parent
BENCHES = ["query_counts", "save_latency", "assign_next", "labelstudio_peer"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run (about 2 minutes)")
    parser.add_argument("--skip-ls", action="store_true", help="leave out the Label Studio peer")
    args = parser.parse_args()
    print(f"== bench/run_all.py {'--quick ' if args.quick else ''}{common.machine_line()}")
    print(f"   gunicorn {common.default_server_config().label}, database {common.DB_NAME}")
    started = time.perf_counter()
    failed = []
    for name in BENCHES:
        if name == "labelstudio_peer" and args.skip_ls:
            continue
        extra = ["--quick"] if args.quick else []
        if name == "labelstudio_peer" and args.quick:
            extra.append("--no-install")  # a smoke run never waits minutes for pip
        (common.scratch_dir() / f"{name}.json").unlink(missing_ok=True)
        print(f"\n######## {name} {' '.join(extra)}", flush=True)
        began = time.perf_counter()
        code = subprocess.call([sys.executable, str(HERE / f"{name}.py"), *extra])
        print(f"######## {name}: exit {code} after {time.perf_counter() - began:.0f} s", flush=True)
        if code != 0:
            failed.append(name)
    summary(time.perf_counter() - started)
    if failed:
        print(f"FAILED: {', '.join(failed)}")
    return 1 if failed else 0


def _load(name: str) -> dict[str, Any] | None:
    path = common.scratch_dir() / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def summary(elapsed: float) -> None:
    print(f"\n== summary ({elapsed / 60:.1f} min, {common.machine_line()})")
    rows: list[list[Any]] = []
    save = _load("save_latency")
    if save:
        for step in save["steps"]:
            s, f = step["save"], step["floor"]
            label = f"{step['clients']}" + (" paced" if step.get("think_ms") else "")
            rows.append(
                [
                    f"PUT annotation, {step['mode']}, {label} clients",
                    common.fmt(s["p50"]),
                    common.fmt(s["p95"]),
                    common.fmt(f["p95"]),
                    common.ratio(s["p95"], f["p95"]),
                ]
            )
        lost = sum(
            step["shared"]["check"]["lost_updates"] for step in save["steps"] if "shared" in step
        )
        print(f"lost updates (same-document contention, from the DB): {lost}")
    queue = _load("assign_next")
    if queue:
        c = queue["checks"]
        rows.append(
            [
                f"POST queue/next, 32 annotators, {c['items']} items",
                common.fmt(queue["next"]["p50"]),
                common.fmt(queue["next"]["p95"]),
                common.fmt(queue["floor"]["p95"]),
                common.ratio(queue["next"]["p95"], queue["floor"]["p95"]),
            ]
        )
        doubles = c["handed_to_two_clients"] + c["db_items_with_2plus_assignments"]
        print(
            f"double assignments (responses + DB): {doubles}; never handed out: "
            f"{c['never_handed_out']}"
        )
    if rows:
        print(common.table(["measurement", "p50 ms", "p95 ms", "floor p95 ms", "p95/floor"], rows))
    peer = _load("labelstudio_peer")
    if peer:
        print(
            common.table(
                [
                    "clients",
                    "LS save p50/p95",
                    "Loupe save p50/p95",
                    "Loupe/LS p50",
                    "Loupe/LS p95",
                ],
                [
                    [
                        step["clients"],
                        f"{common.fmt(step['ls_save']['p50'])}/{common.fmt(step['ls_save']['p95'])}",
                        f"{common.fmt(step['loupe_save']['p50'])}/"
                        f"{common.fmt(step['loupe_save']['p95'])}",
                        common.ratio(step["loupe_save"]["p50"], step["ls_save"]["p50"]),
                        common.ratio(step["loupe_save"]["p95"], step["ls_save"]["p95"]),
                    ]
                    for step in peer["steps"]
                ],
            )
        )
    counts = _load("query_counts")
    if counts:
        print(
            "queries per request: "
            + "; ".join(f"{name}: {v['queries']}" for name, v in counts.items() if "queries" in v)
        )


if __name__ == "__main__":
    sys.exit(main())
