"""Creating tickets one by one: through the service layer (in process) and
through the REST API (a real `kefu serve --workers N` in another process, clients on
keep-alive connections from a few threads)."""

from __future__ import annotations

import itertools
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.client import HTTPConnection, HTTPException
from pathlib import Path

from bench import API_CREATE_TARGET_PER_S, cpu, diagnose
from bench.stats import summary_ms
from bench.world import DESCRIPTIONS, SUBJECTS, SURNAMES, World, mobile, waybill

WORK = Path(__file__).resolve().parent / ".work"
API_PATH = "/api/tickets"
# Concurrent keep-alive clients; KEFU_BENCH_CLIENTS changes it for a run.
CLIENT_THREADS = int(os.environ.get("KEFU_BENCH_CLIENTS", "4"))
# Two gunicorn worker processes per core with two threads each, as README.md advises a point to
# deploy it (`kefu serve --workers N`); KEFU_BENCH_WORKERS and KEFU_BENCH_THREADS change them.
SERVER_THREADS = int(os.environ.get("KEFU_BENCH_THREADS", "2"))  # per worker process
SERVER_WORKERS = int(os.environ.get("KEFU_BENCH_WORKERS", str(2 * (os.cpu_count() or 1))))
WARMUP = 50


def ticket_specs(world: World, n: int, rng: random.Random) -> list[dict]:
    """Keyword arguments for ticket_create: 65 % from a known customer (most of
    them in an owned area), the rest walk-ins by phone, some with an area."""
    main = world.main
    specs = []
    for _ in range(n):
        customer = rng.choice(main.customers) if rng.random() < 0.65 else None
        area = None
        if customer is None and rng.random() < 0.4:
            area = rng.choice(main.areas)
        specs.append({
            "subject": rng.choice(SUBJECTS),
            "queue": "arrival" if rng.random() < 0.6 else "departure",
            "kind": "inquiry" if rng.random() < 0.75 else "feedback",
            "description": rng.choice(DESCRIPTIONS),
            "waybill_no": waybill(rng),
            "category": rng.choice(world.categories) if rng.random() < 0.9 else None,
            "customer": customer,
            "contact_name": "" if customer else f"{rng.choice(SURNAMES)}先生",
            "contact_phone": "" if customer else mobile(rng),
            "area": area,
            "channel": rng.choice(("web", "phone", "import")),
        })
    return specs


def _rates_by_tenth(latencies: list[float]) -> list[float]:
    """Tickets per second within each tenth of the run: shows whether creation
    slows down as the table grows."""
    size = max(1, len(latencies) // 10)
    out = []
    for i in range(0, len(latencies), size):
        chunk = latencies[i:i + size]
        if len(chunk) == size:
            out.append(round(len(chunk) / sum(chunk), 1))
    return out


def _service_diagnosis(world: World, specs: list[dict]) -> dict:
    """Queries of one creation and a profile of 100 more (created, not timed)."""
    from kefu.tickets.services import ticket_create

    point = world.main.point
    out = diagnose.queries(lambda: ticket_create(point=point, **specs[0]), with_plans=False)
    out["profile_shares_pct"] = diagnose.profile_shares(
        lambda: [ticket_create(point=point, **spec) for spec in specs[1:101]], top=12)
    return out


def service_create(world: World, *, n: int, db: str, scale: str, budget_s: float = 0, **_) -> list[dict]:
    from kefu.tickets.services import ticket_create

    rng = random.Random(1)
    specs = ticket_specs(world, n, rng)
    agents = world.main.agents
    latencies: list[float] = []
    step = max(1, n // 10)
    print(f"  service_create: {n:,} tickets{_budget_text(budget_s)}", flush=True)
    with cpu.sampler() as sampler:
        started = time.perf_counter()
        for i, spec in enumerate(specs, 1):
            actor = rng.choice(agents) if spec["channel"] != "import" else None
            t0 = time.perf_counter()
            ticket_create(point=world.main.point, actor=actor, **spec)
            latencies.append(time.perf_counter() - t0)
            elapsed = time.perf_counter() - started
            if i % step == 0:
                print(f"    {i:>9,} created  {i / elapsed:7.1f}/s", flush=True)
            if budget_s and elapsed > budget_s:
                print(f"    time budget of {budget_s:.0f} s spent after {i:,} tickets", flush=True)
                break
        wall = time.perf_counter() - started
    done = len(latencies)
    return [{
        "benchmark": "service_create", "db": db, "scale": scale, "n": done, "n_planned": n,
        "status": "ok", "throughput_per_s": round(done / wall, 1), "wall_s": round(wall, 2),
        "cpu": sampler.result, "cpu_ms_per_op": cpu.cpu_ms_per_op(sampler.result, done),
        **summary_ms(latencies), "rate_by_tenth_per_s": _rates_by_tenth(latencies),
        "target": None, "diagnosis": _service_diagnosis(world, ticket_specs(world, 101, rng)),
        "note": "ticket_create in one thread, one transaction per ticket"
                + (f"; stopped by the {budget_s:.0f} s budget" if done < n else ""),
    }]


def _budget_text(budget_s: float) -> str:
    return f" (time budget {budget_s:.0f} s)" if budget_s else ""


# --- API ---------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _api_token(world: World) -> str | None:
    """A raw key by the API's own service, else by its command; None if neither exists."""
    user = world.manager
    for module in ("kefu.api.services", "kefu.api.models"):
        try:
            mod = __import__(module, fromlist=["api_token_create"])
        except ImportError:
            continue
        create = getattr(mod, "api_token_create", None)
        if create is not None:
            _token, raw = create(user=user, name="bench")
            return raw
    out = subprocess.run([sys.executable, "-m", "kefu.cli", "api-token", user.username],
                         capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        return None
    lines = [line.strip() for line in out.stdout.splitlines() if line.strip()]
    return lines[-1] if lines else None


def _payload(spec: dict) -> bytes:
    body = {
        "subject": spec["subject"], "queue": spec["queue"], "description": spec["description"],
        "waybill_no": spec["waybill_no"], "kind": spec["kind"],
    }
    if spec["category"] is not None:
        body["category"] = spec["category"].code
    if spec["customer"] is not None:
        body["customer_id"] = spec["customer"].pk
    else:
        body["contact_name"] = spec["contact_name"]
        body["contact_phone"] = spec["contact_phone"]
    if spec["area"] is not None:
        body["area_id"] = spec["area"].pk
    return json.dumps(body, ensure_ascii=False).encode()


class Server:
    """`kefu serve` in a subprocess on a free port, jobs off, logs to bench/.work."""

    def __init__(self, db: str):
        self.port = _free_port()
        WORK.mkdir(exist_ok=True)
        self.log_path = WORK / f"server-{db}.log"
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        env = {**os.environ, "KEFU_EMBEDDED_JOBS": "0"}
        self.log = open(self.log_path, "w")  # noqa: SIM115 — closed in __exit__
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kefu.cli", "serve", "--port", str(self.port),
             "--threads", str(SERVER_THREADS), "--workers", str(SERVER_WORKERS)],
            env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2):
                    return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"server did not answer within 60 s; see {self.log_path}")

    def cpu_seconds(self) -> float:
        """User + system CPU time so far of the server and its worker processes."""
        ticks = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            pid = int(stat.parent.name)
            if pid == self.proc.pid or int(fields[1]) == self.proc.pid:
                ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


def _post(conn: HTTPConnection, body: bytes, headers: dict) -> tuple[int, bytes]:
    conn.request("POST", API_PATH, body=body, headers=headers)
    resp = conn.getresponse()
    return resp.status, resp.read()


def _client_run(port: int, headers: dict, bodies: list[bytes], *, budget_s: float = 0,
                progress: bool = False) -> tuple[list[float], list[str], float]:
    """POST every body from CLIENT_THREADS threads (until the time budget is
    spent); returns latencies, errors and wall seconds."""
    counter = itertools.count()
    latencies: list[float] = []
    errors: list[str] = []
    finished = [0] * CLIENT_THREADS
    lock = threading.Lock()
    deadline = time.perf_counter() + budget_s if budget_s else float("inf")

    def worker(k: int) -> None:
        conn = HTTPConnection("127.0.0.1", port, timeout=60)
        mine: list[float] = []
        while time.perf_counter() < deadline and (i := next(counter)) < len(bodies):
            t0 = time.perf_counter()
            try:
                status, data = _post(conn, bodies[i], headers)
            except (OSError, HTTPException) as exc:
                conn.close()
                conn = HTTPConnection("127.0.0.1", port, timeout=60)
                status, data = 0, repr(exc).encode()
            mine.append(time.perf_counter() - t0)
            finished[k] += 1
            if status != 201:
                with lock:
                    errors.append(f"{status}: {data[:300].decode(errors='replace')}")
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(CLIENT_THREADS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    while alive := [t for t in threads if t.is_alive()]:
        alive[0].join(timeout=30)
        if progress and alive[0].is_alive():
            sent = sum(finished)
            elapsed = time.perf_counter() - started
            print(f"    {sent:>9,} sent     {sent / elapsed:7.1f}/s", flush=True)
    for t in threads:
        t.join()
    return latencies, errors, time.perf_counter() - started


def _api_diagnosis(headers: dict, bodies: list[bytes]) -> dict:
    """The same POST in process (Django test Client): queries of one, profile of 100."""
    from django.test import Client

    client = Client(headers={"Authorization": headers["Authorization"]})

    def post(body: bytes):
        resp = client.post(API_PATH, data=body, content_type="application/json")
        if resp.status_code != 201:
            raise RuntimeError(f"POST {API_PATH} → {resp.status_code}: {resp.content[:200]!r}")

    out = diagnose.queries(lambda: post(bodies[0]), with_plans=False)
    out["profile_shares_pct"] = diagnose.profile_shares(
        lambda: [post(b) for b in bodies[1:101]], top=14)
    return out


def api_create(world: World, *, n: int, db: str, scale: str, budget_s: float = 0, **_) -> list[dict]:
    row = {"benchmark": "api_create", "db": db, "scale": scale, "n": n,
           "target": {"throughput_per_s_min": API_CREATE_TARGET_PER_S}}
    raw_key = _api_token(world)
    if raw_key is None:
        return [{**row, "status": "skipped", "note": "skipped (API missing: no api_token_create / api-token)"}]
    rng = random.Random(2)
    bodies = [_payload(s) for s in ticket_specs(world, n + WARMUP + 101, rng)]
    bodies, spare = bodies[:n + WARMUP], bodies[n + WARMUP:]
    headers = {"Authorization": f"Bearer {raw_key}", "Content-Type": "application/json",
               "Accept": "application/json"}
    with Server(db) as server:
        probe = HTTPConnection("127.0.0.1", server.port, timeout=60)
        status, data = _post(probe, bodies[0], headers)
        probe.close()
        if status in (404, 405):
            return [{**row, "status": "skipped", "note": f"skipped (API missing: POST {API_PATH} → {status})"}]
        if status != 201:
            return [{**row, "status": "error",
                     "note": f"POST {API_PATH} → {status}: {data[:300].decode(errors='replace')}"}]
        _client_run(server.port, headers, bodies[1:WARMUP])
        print(f"  api_create: {n:,} tickets, {CLIENT_THREADS} client threads, gunicorn {SERVER_WORKERS} workers × "
              f"{SERVER_THREADS} threads on :{server.port}{_budget_text(budget_s)}", flush=True)
        cpu0 = server.cpu_seconds()
        with cpu.sampler() as sampled:
            latencies, errors, wall = _client_run(server.port, headers, bodies[WARMUP:],
                                                  budget_s=budget_s, progress=True)
        server_cpu = server.cpu_seconds() - cpu0
    done = len(latencies)
    rate = (done - len(errors)) / wall
    per_op = cpu.cpu_ms_per_op(sampled.result, done)
    note = (f"{CLIENT_THREADS} keep-alive clients → kefu serve --workers {SERVER_WORKERS} "
            f"(gunicorn, {SERVER_THREADS} threads each)")
    return [{
        **row, "n": done, "n_planned": n, "status": "ok" if not errors else "error",
        "throughput_per_s": round(rate, 1), "wall_s": round(wall, 2), **summary_ms(latencies),
        "errors": len(errors), "error_samples": errors[:5],
        "server_cpu_ms_per_ticket": round(server_cpu / max(done, 1) * 1000, 2),
        "cpu": sampled.result, "cpu_ms_per_op": per_op,
        # What 2 cores could do if nothing else ran and the work spread perfectly.
        "capacity_per_s_estimate": round((os.cpu_count() or 1) * 1000 / per_op, 1) if per_op else None,
        "passed": rate >= API_CREATE_TARGET_PER_S and not errors,
        "diagnosis": _api_diagnosis(headers, spare),
        "note": note + (f"; stopped by the {budget_s:.0f} s budget" if done < n else ""),
    }]
