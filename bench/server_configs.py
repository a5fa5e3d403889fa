"""Pick the gunicorn configuration: the same floor and save steps on a few configurations.

All configurations run side by side (idle servers cost no CPU) and are measured in alternating
rounds, so the noise of a shared machine falls on all of them alike. For each it measures
GET ping and PUT (10 boxes, own document) with 1 and 32 closed-loop clients and 32 paced
clients (think time), on fresh connections. The chosen one is _common.DEFAULT_WORKERS/THREADS.

usage: .venv/bin/python bench/server_configs.py [--configs gthread:4x4,gthread:2x8,sync:8]
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _common as common  # noqa: E402
from bench._load import alternate  # noqa: E402
from bench.save_latency import own_saves, pings, setup_data, summarize, warmup  # noqa: E402


def parse_config(text: str) -> common.ServerConfig:
    kind, _, shape = text.partition(":")
    if kind == "sync":
        return common.ServerConfig(int(shape), 1, "sync")
    workers, _, threads = shape.partition("x")
    return common.ServerConfig(int(workers), int(threads), kind)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="gthread:4x4,gthread:2x8,sync:4,sync:8")
    parser.add_argument("--modes", default="fresh")
    parser.add_argument("--clients", default="1,32")
    parser.add_argument("--requests-per-client", type=int, default=150)
    parser.add_argument("--time-cap", type=float, default=10.0, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--think-ms", type=float, default=500.0, help="paced step, 0 = off")
    args = parser.parse_args(argv)
    configs = [parse_config(c) for c in args.configs.split(",") if c]
    concurrencies = [int(c) for c in args.clients.split(",") if c]
    print(f"== gunicorn configurations: {common.machine_line()}", flush=True)
    common.prepare()
    data = setup_data(common.run_tag(), clients=max(concurrencies), shared_steps=0)
    own = data["own"]
    plan = [(c, 0.0) for c in concurrencies]
    if args.think_ms:
        plan.append((max(concurrencies), args.think_ms / 1000))
    rows: list[list[Any]] = []
    with contextlib.ExitStack() as stack:
        servers = [(config, stack.enter_context(common.gunicorn(config))) for config in configs]
        for _, server in servers:
            warmup(port=server.port, own=own, server_pid=server.pid)
        for mode in args.modes.split(","):
            for clients, think in plan:
                measures = {}
                for config, server in servers:
                    where = {"port": server.port, "server_pid": server.pid}
                    measures[f"{config.label}|ping"] = (pings(own), where)
                    measures[f"{config.label}|save"] = (own_saves(own), where)
                measured = alternate(
                    measures,
                    rounds=args.rounds,
                    clients=clients,
                    keepalive=mode == "keepalive",
                    max_requests=args.requests_per_client,
                    time_cap_s=args.time_cap,
                    think_s=think,
                )
                label = f"{clients}" + (f" paced {think * 1000:.0f}ms" if think else "")
                for config, _ in servers:
                    floor = summarize(measured[f"{config.label}|ping"], "ping")
                    save = summarize(measured[f"{config.label}|save"], "save")
                    rows.append(
                        [
                            config.label,
                            mode,
                            label,
                            common.fmt(floor["p50"]),
                            common.fmt(floor["p95"]),
                            common.fmt(save["p50"]),
                            common.fmt(save["p95"]),
                            common.fmt(save["p99"]),
                            common.fmt(save["rps"], 0),
                            common.fmt(save["server_cpu_ms_per_req"], 2),
                        ]
                    )
                    print("   " + " | ".join(str(c) for c in rows[-1]), flush=True)
    print("\n== gunicorn configurations (ms; save = PUT 10 boxes on own document; alternated)")
    print(
        common.table(
            [
                "config",
                "conn",
                "clients",
                "ping p50",
                "ping p95",
                "save p50",
                "save p95",
                "save p99",
                "save req/s",
                "srv cpu ms/req",
            ],
            rows,
        )
    )
    common.write_results("server_configs", {"rows": rows})
    return {"rows": rows}


if __name__ == "__main__":
    main()
