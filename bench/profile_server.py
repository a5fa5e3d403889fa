"""cProfile one sync gunicorn worker while it serves --requests PUTs (10 boxes), print the top.

usage: .venv/bin/python bench/profile_server.py [--requests 300] [--top 40]
"""

from __future__ import annotations

import argparse
import os
import pstats
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _common as common  # noqa: E402
from bench._load import run_step  # noqa: E402
from bench.save_latency import own_saves, setup_data, summarize  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args(argv)
    common.prepare()
    own = setup_data(common.run_tag(), clients=1, shared_steps=0)["own"]
    out = common.scratch_dir() / "put.prof"
    env = {**common._clean_parent_env(), "LOUPE_BENCH_PROFILE_OUT": str(out)}
    port = common.free_port()
    log = common.scratch_dir() / "profile_server.log"
    command = [
        str(common.VENV_BIN / "gunicorn"),
        "bench._profiled_wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
    ]
    with open(log, "wb") as handle:
        process = subprocess.Popen(command, cwd=common.REPO, env=env, stdout=handle, stderr=handle)
    try:
        common.wait_http(f"http://127.0.0.1:{port}/healthz/", process=process, log=log)
        result = run_step(
            own_saves(own),
            port=port,
            clients=1,
            keepalive=False,
            max_requests=args.requests,
            time_cap_s=120,
            server_pid=process.pid,
        )
        save = summarize(result, "save")
        print(
            f"PUT under cProfile: n={save['n']} p50 {common.fmt(save['p50'])} ms, "
            f"server CPU {common.fmt(save['server_cpu_ms_per_req'], 2)} ms/request"
        )
    finally:
        common.stop_process(process, name="profiled gunicorn")  # atexit in the worker dumps
    if not os.path.exists(out):
        raise SystemExit(f"no profile written; see {log}")
    stats = pstats.Stats(str(out))
    stats.sort_stats("cumulative").print_stats(args.top)
    stats.sort_stats("tottime").print_stats(args.top // 2)


if __name__ == "__main__":
    main()
