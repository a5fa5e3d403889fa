"""A small closed-loop HTTP load generator on http.client (no third-party client).

Each client is one thread with its own connection; clients are spread over forked processes
(`procs`), so with 32 clients and 8 processes each process runs 4 client threads. A client sends
its next request as soon as the previous response is fully read (closed loop), until it has sent
`max_requests` or `time_cap_s` has passed since the common start (a barrier), whichever is first.

Timing covers connect (fresh mode) + send + the whole response body, measured with
perf_counter in the client thread. Client CPU (user+sys of the client processes) and the CPU of
the server's process tree are sampled around the measured window, so a reader can see how much
of the 2 cores the load generator itself took.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import multiprocessing
import os
import random
import resource
import socket
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

HOST = "127.0.0.1"


@dataclass
class Request:
    kind: str
    method: str
    path: str
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class Scenario(Protocol):
    def setup(self, http: Client) -> None: ...
    def next_request(self) -> Request | None: ...
    def on_response(self, request: Request, response: Response) -> None: ...
    def report(self) -> dict[str, Any]: ...


ScenarioFactory = Callable[[int], Scenario]


class Client:
    """One client connection, fresh per request or kept alive."""

    def __init__(self, port: int, *, keepalive: bool, host: str = HOST) -> None:
        self.port, self.keepalive, self.host = port, keepalive, host
        self.conn: http.client.HTTPConnection | None = None
        self.connects = 0

    def _connection(self) -> http.client.HTTPConnection:
        if self.conn is None or self.conn.sock is None:
            if self.conn is not None:
                self.conn.close()
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            self.conn.connect()
            # Like urllib3 (the peer's `requests`): http.client writes a body over 2920 bytes
            # separately from the headers, and Nagle + the server's delayed ACK would then stall
            # each request by 40-200 ms.
            self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.connects += 1
        return self.conn

    def send(self, request: Request) -> Response:
        headers = {"Host": f"{self.host}:{self.port}", **request.headers}
        if request.body is not None:
            headers.setdefault("Content-Type", "application/json")
        if not self.keepalive:
            headers["Connection"] = "close"
            self.close()
        try:
            conn = self._connection()
            conn.request(request.method, request.path, body=request.body, headers=headers)
            raw = conn.getresponse()
            body = raw.read()
            response = Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, body)
            if raw.will_close or not self.keepalive:
                self.close()
            return response
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


@dataclass
class StepResult:
    clients: int
    keepalive: bool
    topology: str
    wall_s: float
    latencies: dict[str, list[float]]  # kind -> ms, in completion order per client
    statuses: dict[str, Counter]  # kind -> Counter(status)
    reports: list[dict[str, Any]]
    errors: list[str]
    connects: int
    client_cpu_s: float
    server_cpu_s: float | None
    machine_busy_cores: float | None

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    def all_latencies(self) -> list[float]:
        return [value for values in self.latencies.values() for value in values]


def _client_thread(
    index: int,
    factory: ScenarioFactory,
    port: int,
    keepalive: bool,
    max_requests: int,
    time_cap_s: float,
    think_s: float,
    barrier: Any,
    out: dict[str, Any],
) -> None:
    latencies: dict[str, list[float]] = {}
    statuses: dict[str, Counter] = {}
    errors: list[str] = []
    client = Client(port, keepalive=keepalive)
    try:
        scenario = factory(index)
        scenario.setup(client)
    except Exception:
        errors.append(f"client {index} setup: {traceback.format_exc(limit=3)}")
        with contextlib.suppress(Exception):
            barrier.abort()
        out.update(latencies=latencies, statuses=statuses, errors=errors, report={}, connects=0)
        return
    client.connects = 0
    barrier.wait(timeout=120)
    deadline = time.monotonic() + time_cap_s
    sent = 0
    jitter = random.Random(index)
    if think_s:  # spread the first requests so paced clients do not start in lockstep
        time.sleep(jitter.uniform(0, think_s))
    while sent < max_requests and time.monotonic() < deadline:
        if think_s and sent:
            time.sleep(think_s * jitter.uniform(0.5, 1.5))
        request = scenario.next_request()
        if request is None:
            break
        sent += 1
        started = time.perf_counter()
        try:
            response = client.send(request)
        except Exception as exc:  # a refused or reset connection is a result, not a crash
            statuses.setdefault(request.kind, Counter())[f"ERR {type(exc).__name__}"] += 1
            if len(errors) < 3:
                errors.append(f"client {index} {request.kind}: {exc!r}")
            continue
        elapsed_ms = (time.perf_counter() - started) * 1000
        latencies.setdefault(request.kind, []).append(elapsed_ms)
        statuses.setdefault(request.kind, Counter())[str(response.status)] += 1
        try:
            scenario.on_response(request, response)
        except Exception:
            if len(errors) < 3:
                errors.append(f"client {index} on_response: {traceback.format_exc(limit=3)}")
            break
    client.close()
    out.update(
        latencies=latencies,
        statuses=statuses,
        errors=errors,
        report=scenario.report(),
        connects=client.connects,
    )


def _cpu_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _process_main(
    indexes: list[int],
    factory: ScenarioFactory,
    port: int,
    keepalive: bool,
    max_requests: int,
    time_cap_s: float,
    think_s: float,
    barrier: Any,
    queue: Any,
) -> None:
    outs: list[dict[str, Any]] = [{} for _ in indexes]
    threads = [
        threading.Thread(
            target=_client_thread,
            args=(i, factory, port, keepalive, max_requests, time_cap_s, think_s, barrier, outs[n]),
            daemon=True,
        )
        for n, i in enumerate(indexes)
    ]
    cpu_before = _cpu_self()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put({"clients": outs, "cpu_s": _cpu_self() - cpu_before})


def _proc_tree_cpu(root_pid: int | None) -> float | None:
    """user+sys seconds of root_pid and its direct children (gunicorn master + workers)."""
    if not root_pid:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    found = False
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        pid, ppid = int(name), int(fields[1])
        if pid == root_pid or ppid == root_pid:
            found = True
            # utime, stime, cutime, cstime (children reaped by gunicorn count too)
            total += sum(int(v) for v in fields[11:15]) / ticks
    return total if found else None


def _machine_busy() -> tuple[float, float]:
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def run_step(
    factory: ScenarioFactory,
    *,
    port: int,
    clients: int,
    keepalive: bool,
    max_requests: int,
    time_cap_s: float,
    procs: int | None = None,
    server_pid: int | None = None,
    think_s: float = 0.0,
) -> StepResult:
    """Run `clients` closed-loop clients, `max_requests` each, for at most `time_cap_s`.

    With `think_s` each client waits think_s x U(0.5, 1.5) between a response and its next
    request (an annotator's pause), which is not part of the measured latency.
    """
    procs = max(1, min(clients, procs or default_procs(clients)))
    with contextlib.suppress(Exception):
        from django.db import connections

        connections.close_all()  # never share a database socket with forked children
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(clients + 1)
    queue = context.Queue()
    groups = [list(range(clients))[p::procs] for p in range(procs)]
    processes = [
        context.Process(
            target=_process_main,
            args=(g, factory, port, keepalive, max_requests, time_cap_s, think_s, barrier, queue),
            daemon=True,
        )
        for g in groups
    ]
    for process in processes:
        process.start()
    results: list[dict[str, Any]] = []
    try:
        barrier.wait(timeout=180)
        started = time.perf_counter()
        server_before = _proc_tree_cpu(server_pid)
        busy_before, total_before = _machine_busy()
        for _ in processes:
            results.append(queue.get(timeout=time_cap_s + 300))
        wall = time.perf_counter() - started
        server_after = _proc_tree_cpu(server_pid)
        busy_after, total_after = _machine_busy()
    except threading.BrokenBarrierError:
        while len(results) < len(processes):
            results.append(queue.get(timeout=60))
        errors = [e for r in results for c in r["clients"] for e in c.get("errors", [])]
        raise RuntimeError("a client failed during setup:\n" + "\n".join(errors[:3])) from None
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
    latencies: dict[str, list[float]] = {}
    statuses: dict[str, Counter] = {}
    reports, errors, connects, cpu = [], [], 0, 0.0
    for result in results:
        cpu += result["cpu_s"]
        for out in result["clients"]:
            for kind, values in out.get("latencies", {}).items():
                latencies.setdefault(kind, []).extend(values)
            for kind, counter in out.get("statuses", {}).items():
                statuses.setdefault(kind, Counter()).update(counter)
            reports.append(out.get("report", {}))
            errors += out.get("errors", [])
            connects += out.get("connects", 0)
    jiffies = total_after - total_before
    return StepResult(
        clients=clients,
        keepalive=keepalive,
        topology=f"{procs} proc x {-(-clients // procs)} thr",
        wall_s=wall,
        latencies=latencies,
        statuses=statuses,
        reports=reports,
        errors=errors,
        connects=connects,
        client_cpu_s=cpu,
        server_cpu_s=(server_after - server_before)
        if server_before is not None and server_after is not None
        else None,
        machine_busy_cores=(busy_after - busy_before) / jiffies * (os.cpu_count() or 1)
        if jiffies
        else None,
    )


def default_procs(clients: int) -> int:
    """One process per client up to 8, then threads inside them (see bench/README.md)."""
    return min(clients, int(os.environ.get("LOUPE_BENCH_CLIENT_PROCS", "8")))


def json_body(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def merge(results: list[StepResult]) -> StepResult:
    """Pool the rounds of one measurement (alternated with another to share the noise)."""
    first = results[0]
    latencies: dict[str, list[float]] = {}
    statuses: dict[str, Counter] = {}
    for result in results:
        for kind, values in result.latencies.items():
            latencies.setdefault(kind, []).extend(values)
        for kind, counter in result.statuses.items():
            statuses.setdefault(kind, Counter()).update(counter)
    servers = [r.server_cpu_s for r in results]
    busy = [r.machine_busy_cores for r in results if r.machine_busy_cores is not None]
    wall = sum(r.wall_s for r in results)
    return StepResult(
        clients=first.clients,
        keepalive=first.keepalive,
        topology=first.topology,
        wall_s=wall,
        latencies=latencies,
        statuses=statuses,
        reports=[report for r in results for report in r.reports],
        errors=[error for r in results for error in r.errors],
        connects=sum(r.connects for r in results),
        client_cpu_s=sum(r.client_cpu_s for r in results),
        server_cpu_s=None if None in servers else sum(s for s in servers if s is not None),
        machine_busy_cores=sum(b * r.wall_s for b, r in zip(busy, results, strict=False)) / wall
        if busy and wall
        else None,
    )


def alternate(
    plan: dict[str, tuple[ScenarioFactory, dict[str, Any]]],
    *,
    rounds: int,
    max_requests: int,
    time_cap_s: float,
    **options: Any,
) -> dict[str, StepResult]:
    """Run the measurements of `plan` in turn, `rounds` times, each with a share of the budget.

    plan maps a name to (factory, run_step options such as port and server_pid). On a shared,
    noisy machine this spreads the noise over all of them alike, so the ratios between them stay
    meaningful even when the absolute figures drift. A factory with a `start_round(n)` method
    is told the round before each of its steps (e.g. to hand out fresh tasks).
    """
    rounds = max(1, rounds)
    per_round = max(1, -(-max_requests // rounds))
    collected: dict[str, list[StepResult]] = {name: [] for name in plan}
    for number in range(rounds):
        for name, (factory, extra) in plan.items():
            if hasattr(factory, "start_round"):
                factory.start_round(number)
            collected[name].append(
                run_step(
                    factory,
                    max_requests=per_round,
                    time_cap_s=time_cap_s / rounds,
                    **{**options, **extra},
                )
            )
    return {name: merge(results) for name, results in collected.items()}
