"""Loupe's annotation save beside Label Studio's, in the same run, with the same load generator.

Label Studio is the peer documented in ../shared/peers/labelstudio/ (read-only here). This
script reuses that peer's install location, pinned version, server command, environment and
token, and its own bench.py:
  1. install label-studio==1.23.2 into $WORK/venv (default /tmp/ls_peer/venv) if missing, with
     the same commands as the peer's run.sh (a failure is printed and the script carries on);
  2. start a fresh Label Studio (its defaults: SQLite, `label-studio start` = runserver) on a
     free loopback port and run the peer's bench.py --phase load (N tasks imported with 10 boxes
     each, then 200 annotation POSTs of 10 boxes from its own `requests` client);
  3. start Loupe's gunicorn, then for 1, 8 and 32 clients, interleaved LS step / Loupe step,
     measure with bench/_load.py (http.client, fresh connection per request, as the peer does):
       LS    POST /api/tasks/{id}/annotations/ (10 rectanglelabels regions, a new task each time)
       Loupe PUT /api/v1/items/{id}/annotation/ (10 boxes, If-Match, own document per client)
     plus each server's authenticated floor (LS GET /api/current-user/whoami, Loupe
     GET /api/v1/ping/), and print Loupe p50/p95 / Label Studio p50/p95.
Both servers are stopped by PID in `finally`.

usage: .venv/bin/python bench/labelstudio_peer.py [--quick] [--clients 1,8,32] [--no-install]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _common as common  # noqa: E402
from bench._load import Client, Request, Response, alternate, json_body, run_step  # noqa: E402
from bench.save_latency import own_saves, pings, setup_data, summarize, warmup  # noqa: E402

# The team keeps shared/ beside the repository; LOUPE_PEERS_DIR points elsewhere.
PEER_DIR = (
    Path(
        os.environ.get("LOUPE_PEERS_DIR", Path(__file__).resolve().parents[2] / "shared" / "peers")
    )
    / "labelstudio"
)
WORK = Path(os.environ.get("WORK", "/tmp/ls_peer"))
VENV = WORK / "venv"
LS_VERSION = os.environ.get("LS_VERSION", "1.23.2")
# The legacy API token run.sh gives its throwaway local user (a fixed value, loopback only).
LS_TOKEN = "0123456789abcdef0123456789abcdef01234567"
LS_USER, LS_PASSWORD = "bench@example.com", "bench-pass-123"
LABELS = ["car", "person", "bike", "truck", "dog"]


# --------------------------------------------------------------------------- install / server
def ls_installed() -> bool:
    python = VENV / "bin" / "python"
    if not python.exists():
        return False
    probe = (
        "import importlib.metadata as m, sys; "
        f"sys.exit(m.version('label-studio') != '{LS_VERSION}')"
    )
    return subprocess.run([str(python), "-c", probe], capture_output=True).returncode == 0


def ls_install() -> str | None:
    """The peer's run.sh install step; returns why it failed, or None."""
    if ls_installed():
        return None
    print(f"   installing label-studio=={LS_VERSION} into {VENV} (first time: minutes)", flush=True)
    WORK.mkdir(parents=True, exist_ok=True)
    steps = [
        [sys.executable if not shutil.which("python3") else "python3", "-m", "venv", str(VENV)],
        [str(VENV / "bin" / "pip"), "install", "-q", "--upgrade", "pip"],
        [str(VENV / "bin" / "pip"), "install", "-q", f"label-studio=={LS_VERSION}"],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, timeout=1800)
        if done.returncode != 0:
            return f"{' '.join(step)} failed ({done.returncode}): {done.stderr.strip()[-600:]}"
    return None if ls_installed() else "label-studio not importable after install"


class LabelStudio:
    """A fresh Label Studio on a free loopback port, started like the peer's run.sh."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = common.free_port()
        self.log = WORK / "loupe_bench_ls_server.log"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> LabelStudio:
        shutil.rmtree(self.data_dir, ignore_errors=True)
        self.data_dir.mkdir(parents=True)
        env = dict(os.environ)
        env.update(
            LABEL_STUDIO_USERNAME=LS_USER,
            LABEL_STUDIO_PASSWORD=LS_PASSWORD,
            LABEL_STUDIO_USER_TOKEN=LS_TOKEN,
            LABEL_STUDIO_BASE_DATA_DIR=str(self.data_dir),
            COLLECT_ANALYTICS="false",
            LATEST_VERSION_CHECK="false",
            SENTRY_DSN="",
            FRONTEND_SENTRY_DSN="",
            FEATURE_FLAGS_OFFLINE="true",
            CONVERTER_DOWNLOAD_RESOURCES="false",
        )
        for name in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_DB"):
            env.pop(name, None)
        command = [
            str(VENV / "bin" / "label-studio"),
            "start",
            "--no-browser",
            "--internal-host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
            "--enable-legacy-api-token",
        ]
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
        started = time.perf_counter()
        try:
            common.wait_http(f"{self.base}/health", process=self.process, log=self.log, timeout=240)
        except BaseException:
            self.__exit__()
            raise
        print(
            f"   Label Studio pid {self.process.pid} on :{self.port} healthy after "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )
        return self

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            common.stop_process(self.process, name="label-studio")


def ls_request(port: int, method: str, path: str, payload: Any = None) -> Response:
    client = Client(port, keepalive=False)
    body = None if payload is None else json_body(payload)
    return client.send(Request("setup", method, path, body, ls_auth()))


def ls_auth() -> dict[str, str]:
    return {"Authorization": f"Token {LS_TOKEN}"}


def peer_bench(ls: LabelStudio, *, n: int, posts: int) -> dict[str, Any]:
    """The peer's own bench.py, load phase: its import and its 200 annotation POSTs."""
    out = WORK / "loupe_bench_peer_load.json"
    command = [
        str(VENV / "bin" / "python"),
        str(PEER_DIR / "bench.py"),
        "--base-url",
        ls.base,
        "--token",
        LS_TOKEN,
        "--server-pid",
        str(ls.pid),
        "--db-path",
        str(ls.data_dir / "label_studio.sqlite3"),
        "--n",
        str(n),
        "--k",
        "10",
        "--posts",
        str(posts),
        "--phase",
        "load",
        "--budget-s",
        "300",
        "--out",
        str(out),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"peer bench.py failed: {done.stderr[-800:]}")
    return json.loads(out.read_text())


# --------------------------------------------------------------------------- scenarios
class LsFloor:
    def setup(self, http: Client) -> None:
        http.send(self.next_request())

    def next_request(self) -> Request:
        return Request("floor", "GET", "/api/current-user/whoami", None, ls_auth())

    def on_response(self, request: Request, response: Response) -> None:
        if response.status != 200:
            raise RuntimeError(f"whoami: {response.status}")

    def report(self) -> dict[str, Any]:
        return {}


class LsAnnotate:
    """What LS's editor sends on Submit: one annotation with 10 boxes, on a fresh task each time."""

    def __init__(self, task_ids: list[int], seed: int) -> None:
        self.task_ids = list(task_ids)
        self.rng = random.Random(seed)

    def setup(self, http: Client) -> None:
        http.send(Request("floor", "GET", "/api/current-user/whoami", None, ls_auth()))

    def next_request(self) -> Request | None:
        if not self.task_ids:
            return None
        task = self.task_ids.pop()
        body = json_body({"result": [self._box(i) for i in range(10)], "lead_time": 10.0})
        return Request("save", "POST", f"/api/tasks/{task}/annotations/", body, ls_auth())

    def _box(self, index: int) -> dict[str, Any]:  # the peer's box_region
        rng = self.rng
        w, h = rng.uniform(2, 20), rng.uniform(2, 20)
        return {
            "id": f"r{index}_{rng.randrange(1 << 30):x}",
            "from_name": "box",
            "to_name": "image",
            "type": "rectanglelabels",
            "original_width": 1920,
            "original_height": 1080,
            "image_rotation": 0,
            "value": {
                "x": rng.uniform(0, 100 - w),
                "y": rng.uniform(0, 100 - h),
                "width": w,
                "height": h,
                "rotation": 0,
                "rectanglelabels": [rng.choice(LABELS)],
            },
        }

    def on_response(self, request: Request, response: Response) -> None:
        pass  # statuses are counted by the load generator; non-201 shows up in the table

    def report(self) -> dict[str, Any]:
        return {}


class LsTasks:
    """Factory for LsAnnotate: every client gets its own fresh tasks in every round."""

    def __init__(self, task_ids: list[int], *, clients: int, rounds: int) -> None:
        self.task_ids, self.clients, self.rounds = task_ids, clients, max(1, rounds)
        self.round = 0

    def start_round(self, number: int) -> None:
        self.round = number

    def __call__(self, index: int) -> LsAnnotate:
        share = len(self.task_ids) // (self.clients * self.rounds)
        start = (self.round * self.clients + index) * share
        return LsAnnotate(self.task_ids[start : start + share], seed=index)


def ls_import_tasks(port: int, project_id: int, count: int) -> list[int]:
    ids: list[int] = []
    while len(ids) < count:
        batch = min(2000, count - len(ids))
        tasks = [
            {"data": {"image": f"http://127.0.0.1/fake/lb_{len(ids) + i:06d}.jpg"}}
            for i in range(batch)
        ]
        response = ls_request(
            port, "POST", f"/api/projects/{project_id}/import?return_task_ids=true", tasks
        )
        if response.status != 201:
            raise RuntimeError(f"LS import: {response.status} {response.body[:300]!r}")
        ids += response.json()["task_ids"]
    return ids


# --------------------------------------------------------------------------- run
def main(argv: list[str] | None = None) -> dict[str, Any] | None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--requests-per-client", type=int, default=200)
    parser.add_argument("--time-cap", type=float, default=12.0, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=2, help="LS and Loupe alternate")
    parser.add_argument("--n", type=int, default=1000, help="tasks the peer's bench.py imports")
    parser.add_argument("--posts", type=int, default=200, help="the peer's own POST count")
    parser.add_argument("--no-install", action="store_true", help="skip if LS is not installed")
    args = parser.parse_args(argv)
    if args.quick:
        args.requests_per_client, args.time_cap, args.n, args.posts = 20, 3.0, 100, 20
    concurrencies = [int(c) for c in args.clients.split(",") if c]
    print(f"== Label Studio peer: {common.machine_line()}", flush=True)
    if not (PEER_DIR / "bench.py").exists():
        print(f"   peer bench not found at {PEER_DIR}; skipped")
        return None
    if args.no_install and not ls_installed():
        print(f"   label-studio not installed in {VENV} and --no-install given; skipped")
        return None
    failure = ls_install()
    if failure:
        print(f"   Label Studio could not be installed, skipped: {failure}")
        return None
    common.prepare()
    data = setup_data(common.run_tag(), clients=max(concurrencies), shared_steps=0)
    own = data["own"]
    config = common.default_server_config()
    results: dict[str, Any] = {"config": config.label, "machine": common.machine_line()}
    with LabelStudio(WORK / "data_loupe_bench") as ls, common.gunicorn(config) as loupe:
        print(f"   Loupe gunicorn {config.label} pid {loupe.pid} on :{loupe.port}", flush=True)
        peer = peer_bench(ls, n=args.n, posts=args.posts)
        results["peer_bench"] = {
            "annotation_post": peer["steps"].get("annotation_post"),
            "import": peer["steps"].get("import"),
            "server_version": peer.get("server_version"),
        }
        project_id = peer["project_id"]
        needed = sum(c * args.requests_per_client for c in concurrencies)
        task_ids = ls_import_tasks(ls.port, project_id, needed + max(concurrencies))
        warmup(port=loupe.port, own=own, server_pid=loupe.pid)
        run_step(
            lambda i: LsFloor(),
            port=ls.port,
            clients=min(8, max(concurrencies)),
            keepalive=False,
            max_requests=5,
            time_cap_s=5,
        )
        steps = []
        for clients in concurrencies:
            budget = clients * args.requests_per_client
            tasks = LsTasks(task_ids[:budget], clients=clients, rounds=args.rounds)
            task_ids = task_ids[budget:]
            measured = alternate(
                {
                    "ls_floor": (lambda i: LsFloor(), {"port": ls.port, "server_pid": ls.pid}),
                    "ls_save": (tasks, {"port": ls.port, "server_pid": ls.pid}),
                    "loupe_floor": (pings(own), {"port": loupe.port, "server_pid": loupe.pid}),
                    "loupe_save": (own_saves(own), {"port": loupe.port, "server_pid": loupe.pid}),
                },
                rounds=args.rounds,
                clients=clients,
                keepalive=False,
                max_requests=args.requests_per_client,
                time_cap_s=args.time_cap,
            )
            step: dict[str, Any] = {"clients": clients}
            for name, result in measured.items():
                step[name] = summarize(
                    result,
                    "save"
                    if name.endswith("save")
                    else ("floor" if name == "ls_floor" else "ping"),
                )
            steps.append(step)
            print(
                f"   c={clients}: LS save p50 {common.fmt(step['ls_save']['p50'])} "
                f"p95 {common.fmt(step['ls_save']['p95'])} {step['ls_save']['statuses']} | "
                f"Loupe save p50 {common.fmt(step['loupe_save']['p50'])} "
                f"p95 {common.fmt(step['loupe_save']['p95'])} {step['loupe_save']['statuses']}",
                flush=True,
            )
        results["steps"] = steps
    print_tables(results)
    common.write_results("labelstudio_peer", results)
    return results


def print_tables(results: dict[str, Any]) -> None:
    peer = results["peer_bench"]["annotation_post"] or {}
    print(
        f"\n== Label Studio {results['peer_bench'].get('server_version')} (SQLite, runserver, its "
        f"defaults) vs Loupe (Postgres, gunicorn {results['config']}); fresh connections; ms"
    )
    print(
        f"peer's own bench.py, same LS server: annotation POST x{peer.get('count')}: "
        f"p50 {peer.get('p50_ms')} p95 {peer.get('p95_ms')} p99 {peer.get('p99_ms')} "
        f"(failures {peer.get('failures')})"
    )
    rows = []
    for step in results["steps"]:
        ls, lo = step["ls_save"], step["loupe_save"]
        rows.append(
            [
                step["clients"],
                common.fmt(step["ls_floor"]["p50"]),
                common.fmt(ls["p50"]),
                common.fmt(ls["p95"]),
                common.fmt(ls["rps"], 0),
                _failures(ls["statuses"], ok=("201",)),
                common.fmt(step["loupe_floor"]["p50"]),
                common.fmt(lo["p50"]),
                common.fmt(lo["p95"]),
                common.fmt(lo["rps"], 0),
                _failures(lo["statuses"], ok=("200", "201")),
                common.ratio(lo["p50"], ls["p50"]),
                common.ratio(lo["p95"], ls["p95"]),
            ]
        )
    print(
        common.table(
            [
                "clients",
                "LS floor p50",
                "LS save p50",
                "LS save p95",
                "LS req/s",
                "LS fails",
                "Loupe floor p50",
                "Loupe save p50",
                "Loupe save p95",
                "Loupe req/s",
                "Loupe fails",
                "p50 Loupe/LS",
                "p95 Loupe/LS",
            ],
            rows,
        )
    )
    print(
        "LS save = POST /api/tasks/{id}/annotations/ (10 boxes, new annotation); Loupe save = "
        "PUT /api/v1/items/{id}/annotation/ (10 boxes, If-Match); LS floor = GET "
        "/api/current-user/whoami, Loupe floor = GET /api/v1/ping/"
    )


def _failures(statuses: dict[str, int], *, ok: tuple[str, ...]) -> str:
    return str(sum(v for k, v in statuses.items() if k not in ok))


if __name__ == "__main__":
    main()
