"""How soon a write is searchable in every worker of ``tillit serve --workers N``, under load.

Issue 20's target: a write is searchable by every worker within 1 s (p99), measured under
load. The mechanism measured (search/writer.py, search/freshness.py): the worker that made a
change asks the index writer process to drain and reloads at once; every other worker
reloads when the writer's commit word moves, for added or changed documents at its next
search once ``TILLIT_INDEX_REFRESH`` seconds have passed since its last reload, for removed
ones before its next search.

What it does, in one run:

1. The catalogue of bench/api.py (``--entries`` datasets, SQLite in WAL mode unless
   ``--database-url``), indexed, and a second OAuth client of the Tax Agency with
   ``catalogue:write``.
2. ``python -m api.cli serve --workers N --threads 8`` (what ``tillit serve`` runs: its
   master starts the index writer process, then forks the workers).
3. Load: ``wrk`` keeps every worker busy for the whole run with anonymous searches and
   reads of public entries (bench/api.py's rotations).
4. A writer, at ``--rate`` operations per second at most (each waits for the probes of the
   one before), makes ``--writes`` entries go through their life over the API: create (a
   draft of the Tax Agency, visible to its own clients), update (its title changes to a new
   word), retire. Each request goes to the next worker in turn.
5. Probes: one keep-alive connection per worker, each pinned to a known worker process (the
   server side of the connection is found in /proc, as tests/multiworker.py does; nothing in
   the server is changed for the benchmark). After each operation every probe polls
   ``GET /api/v1/search?q=<word>`` with the writer's token until its worker answers as the
   operation requires: the new entry found under its new word, or the retired one gone.
   Latency = from the moment the write request was sent (the commit happens before its
   answer, so this is an upper bound) to the answer of the last worker to show it.
6. **Violations**: any search answered after a retirement's answer that still shows the
   retired entry (it must never be served; the commit word's narrowing count makes every
   worker reload before it answers). Their count must be 0, and the exit status is 1 if not.

Reported: p50/p95/p99/max of write → visible in every worker, per operation (create,
update, retire), the write request's own latency, the load's req/s, and the load average.
Run ``python bench/freshness.py --help``; see bench/README.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    # Run as a script, this file's folder comes first on sys.path, and bench/api.py would
    # shadow the project's own ``api`` package.
    _HERE = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
    sys.path.insert(0, str(_HERE.parent))

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import string
import subprocess
import tempfile
import threading
import time
import urllib.parse
from datetime import UTC, datetime
from typing import Any

from bench.api import (
    AGENCY,
    RESULTS,
    SEARCH_WORDS,
    WRK_SCRIPT,
    Catalogue,
    _lua_string,
    fetch_token,
    free_port,
    prepare,
)
from tests.factories import dataset_payload
from tests.multiworker import Served, Worker

WRITE_SCOPES = ["catalogue:read:public", "catalogue:write"]
OPERATIONS = ("create", "update", "retire")
TARGET_P99_S = 1.0
#: Seconds a probe waits for its worker to show a write before it counts as never.
GIVE_UP = 20.0


def writer_client(catalogue: Catalogue) -> tuple[str, str]:
    """A second client of the Tax Agency, allowed to write (its drafts are its own to see)."""
    from api.app import create_app
    from authserver.services.clients import ClientService
    from security.identity import system_identity

    app = create_app()
    ext = app.extensions["tillit"]
    system = system_identity(ext.scheme)
    with ext.sessions() as session:
        issued = ClientService(session, ext.scheme).create(
            system, agency=AGENCY[0], name="Freshness benchmark", scopes=WRITE_SCOPES
        )
        found = issued.client.client_id, issued.secret
    ext.search.close()
    ext.engine.dispose()
    return found


def start_server(catalogue: Catalogue, folder: Path, workers: int, threads: int, refresh: float) -> Served:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TILLIT_")}
    env.update(
        {
            "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
            "TILLIT_INSTANCE_PATH": str(catalogue.instance),
            "TILLIT_DATABASE_URL": catalogue.database_url,
            "TILLIT_ISSUER": f"http://127.0.0.1:{port}",
            "TILLIT_INDEX_REFRESH": str(refresh),
        }
    )
    log = folder / f"serve-{workers}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--workers", str(workers),
             "--threads", str(threads)],
            env=env, stdout=out, stderr=subprocess.STDOUT, cwd=Path(__file__).resolve().parent.parent,
        )  # fmt: skip
    served = Served(proc, port, log)
    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"tillit serve did not start; see {log}:\n{served.output()[-3000:]}")
        if len(served.workers) == workers:
            try:
                probe = served.connect(served.workers[0])
                probe.close()
                return served
            except (OSError, AssertionError):
                pass
        time.sleep(0.2)


def stop_server(served: Served) -> None:
    served.proc.terminate()
    try:
        served.proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        served.proc.kill()
        served.proc.wait()


class Probe:
    """Searches over a connection pinned to one worker."""

    def __init__(self, worker: Worker, headers: dict[str, str]) -> None:
        self.worker = worker
        self.headers = headers
        self.searches = 0

    def ids(self, word: str) -> list[str]:
        status, body = self.worker.request(
            "GET", f"/api/v1/search?q={urllib.parse.quote(word)}", self.headers
        )
        self.searches += 1
        if status != 200:
            raise SystemExit(f"worker {self.worker.pid}: search answered {status}: {body}")
        return [item["id"] for item in body["items"]]


def _word(n: int, salt: str) -> str:
    """A word found in no other entry: letters only (the analyser keeps them whole)."""
    letters = string.ascii_lowercase
    digits = []
    for _ in range(5):
        n, r = divmod(n, 26)
        digits.append(letters[r])
    return f"frisk{salt}{''.join(digits)}"


def start_load(
    base: str, paths: list[str], seconds: float, connections: int, folder: Path
) -> subprocess.Popen[str]:
    """wrk over ``paths``, in the background until ``stop_load``."""
    script = folder / "load.lua"
    script.write_text(WRK_SCRIPT % {"paths": ", ".join(_lua_string(p) for p in paths), "headers": ""})
    cmd = ["wrk", "-t", "1", "-c", str(connections), "-d", f"{round(seconds)}s", "--timeout", "10s",
           "-s", str(script), base + paths[0]]  # fmt: skip
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def stop_load(load: subprocess.Popen[str]) -> dict[str, Any] | None:
    """Stop wrk (SIGINT: it prints its summary) and return its figures."""
    load.send_signal(signal.SIGINT)
    out, _ = load.communicate(timeout=60)
    line = next((x for x in out.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        return None
    r = json.loads(line[len("BENCH ") :])
    seconds = r["duration_us"] / 1e6
    return {"requests": r["requests"], "rps": round(r["requests"] / seconds, 1),
            "p50_ms": r["p50_us"] / 1000, "p99_ms": r["p99_us"] / 1000, "errors": r["errors"]}  # fmt: skip


def measure(args: argparse.Namespace, served: Served, token: str, rate: float) -> dict[str, Any]:
    """The writer and the probes (load is running): each operation's latencies."""
    headers = {"Authorization": f"Bearer {token}"}
    probes = [Probe(served.connect(pid), headers) for pid in served.workers]
    writers = [served.connect(pid) for pid in served.workers]
    latencies: dict[str, list[float]] = {op: [] for op in OPERATIONS}
    requests: dict[str, list[float]] = {op: [] for op in OPERATIONS}
    never: dict[str, int] = dict.fromkeys(OPERATIONS, 0)
    violations: list[dict[str, Any]] = []
    salt = "".join(random.choice(string.ascii_lowercase) for _ in range(3))
    interval = 1.0 / rate
    tick = time.monotonic()

    def until_everywhere(op: str, sent: float, shown: Any, entry_id: str) -> None:
        """Each probe polls its worker until ``shown(ids)``; latency = the last one's."""
        found: list[float | None] = [None] * len(probes)

        def poll(k: int) -> None:
            give_up = sent + GIVE_UP
            while time.monotonic() < give_up:
                ids = probes[k].ids(word_now[0])
                if op == "retire" and entry_id in ids:
                    late = round(time.monotonic() - answered[0], 4)
                    violations.append(
                        {"entry": entry_id, "worker": probes[k].worker.pid, "after_answer_s": late}
                    )
                if shown(ids):
                    found[k] = time.monotonic()
                    return

        threads = [threading.Thread(target=poll, args=(k,)) for k in range(len(probes))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if any(f is None for f in found):
            never[op] += 1
        else:
            latencies[op].append(max(f for f in found if f is not None) - sent)

    word_now = [""]
    answered = [0.0]
    for n in range(args.writes):
        base = n * len(OPERATIONS)
        entry_id = ""
        etag = "*"
        for k, op in enumerate(OPERATIONS):
            tick += interval
            time.sleep(max(0.0, tick - time.monotonic()))
            via = writers[(base + k) % len(writers)]
            word = _word(base + k, salt)
            sent = time.monotonic()
            title = {"sv": f"Uppgifter {word}"}
            if op == "create":
                status, body = via.request(
                    "POST", "/api/v1/datasets", headers, dataset_payload(AGENCY[0], title=title)
                )
                entry_id = str(body.get("id", "")) if isinstance(body, dict) else ""
            elif op == "update":
                path = f"/api/v1/datasets/{entry_id}"
                status, body = via.request("PATCH", path, {**headers, "If-Match": etag}, {"title": title})
            else:
                word = word_now[0]  # searched under its last word: it must be gone
                status, body = via.request(
                    "DELETE", f"/api/v1/datasets/{entry_id}", {**headers, "If-Match": etag}
                )
            answered[0] = time.monotonic()
            if status not in (200, 201):
                raise SystemExit(f"{op} answered {status}: {body}")
            requests[op].append(answered[0] - sent)
            word_now[0] = word
            if op == "retire":
                until_everywhere(op, sent, lambda ids, e=entry_id: e not in ids, entry_id)
            else:
                until_everywhere(op, sent, lambda ids, e=entry_id: e in ids, entry_id)
    for p in probes:
        p.worker.close()
    for w in writers:
        w.close()
    return {
        "latencies": latencies,
        "requests": requests,
        "never": never,
        "violations": violations,
        "searches": sum(p.searches for p in probes),
    }


def quantiles(values: list[float]) -> dict[str, float | None]:
    if len(values) < 2:
        return {"n": len(values), "p50": None, "p95": None, "p99": None, "max": max(values, default=None)}
    q = statistics.quantiles(values, n=100, method="inclusive")
    return {"n": len(values), "p50": q[49], "p95": q[94], "p99": q[98], "max": max(values)}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python bench/freshness.py",
        description="Write -> searchable in every worker of tillit serve --workers N, under load.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--entries", type=int, default=10_000, help="Datasets loaded first.")
    p.add_argument("--workers", default="2", help="Worker processes, or a sweep such as 2,4.")
    p.add_argument("--threads", type=int, default=8, help="Threads per worker.")
    p.add_argument("--writes", type=int, default=40, help="Entries taken through create, update, retire.")
    p.add_argument("--rate", type=float, default=2.0, help="Write operations started per second (at most).")
    p.add_argument("--refresh", type=float, default=0.5, help="TILLIT_INDEX_REFRESH for the server.")
    p.add_argument("--connections", type=int, default=8, help="Load generator's keep-alive connections.")
    p.add_argument("--database-url", default=None, help="An EMPTY throw-away database; default SQLite.")
    p.add_argument("--json", action="store_true", help="Also write bench/results/freshness-<timestamp>.json.")
    p.add_argument("--keep", action="store_true", help="Keep the temporary folder and the server's log.")
    args = p.parse_args(argv)
    args.worker_counts = [int(w) for w in str(args.workers).split(",")]
    if not shutil.which("wrk"):
        p.error("The load generator is wrk (apt-get install wrk).")
    if args.writes < 1 or args.rate <= 0 or any(w < 1 for w in args.worker_counts):
        p.error("Need --writes >= 1, --rate > 0 and --workers >= 1.")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="tillit-fresh-"))
    report: list[dict[str, Any]] = []
    try:
        print(f"Loading {args.entries} entries ...", flush=True)
        catalogue = prepare(folder / "instance", args.database_url, args.entries, "http://127.0.0.1")
        write_id, write_secret = writer_client(catalogue)
        public = [i for i in catalogue.entry_ids if catalogue.levels.get(i) == "public"][:1000]
        load_paths = [f"/api/v1/search?q={urllib.parse.quote(w)}" for w in SEARCH_WORDS]
        load_paths += [f"/api/v1/datasets/{i}" for i in public[: len(load_paths) * 4]]
        seconds = args.writes * len(OPERATIONS) / args.rate + 120  # outlasts the writes; stopped after
        for workers in args.worker_counts:
            print(f"tillit serve --workers {workers} --threads {args.threads}, "
                  f"TILLIT_INDEX_REFRESH={args.refresh:g}", flush=True)  # fmt: skip
            served = start_server(catalogue, folder, workers, args.threads, args.refresh)
            load = None
            try:
                token = fetch_token(f"http://127.0.0.1:{served.port}", write_id, write_secret)
                load = start_load(
                    f"http://127.0.0.1:{served.port}", load_paths, seconds, args.connections, folder
                )
                time.sleep(3)  # the load is on before the first write
                load_at_start = os.getloadavg()
                started = time.monotonic()
                found = measure(args, served, token, args.rate)
                elapsed = time.monotonic() - started
                load_at_end = os.getloadavg()
            finally:
                loaded = stop_load(load) if load is not None else None
                stop_server(served)
            row = {
                "workers": workers,
                "refresh": args.refresh,
                "load_average_start": load_at_start,
                "load_average_end": load_at_end,
                "seconds": round(elapsed, 1),
                "probe_searches": found["searches"],
                "load": loaded,
                "violations": found["violations"],
                "never": found["never"],
                "visible": {op: quantiles(v) for op, v in found["latencies"].items()},
                "request": {op: quantiles(v) for op, v in found["requests"].items()},
            }
            report.append(row)
            print_row(row)
        if args.json:
            RESULTS.mkdir(parents=True, exist_ok=True)
            out = RESULTS / f"freshness-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
            out.write_text(json.dumps(report, indent=2) + "\n")
            print(f"Wrote {out}")
        failed = any(
            r["violations"]
            or any(r["never"].values())
            or any((q["p99"] or q["max"] or 0) > TARGET_P99_S for q in r["visible"].values())
            for r in report
        )
        return 1 if failed else 0
    finally:
        if args.keep:
            print(f"Kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def print_row(row: dict[str, Any]) -> None:
    def ms(x: float | None) -> str:
        return f"{x * 1000:8.1f}" if x is not None else "       -"

    print(f"\n{row['workers']} workers, refresh {row['refresh']:g} s, {row['seconds']} s, "
          f"load average {', '.join(f'{x:.2f}' for x in row['load_average_start'])} at the start, "
          f"{', '.join(f'{x:.2f}' for x in row['load_average_end'])} at the end")  # fmt: skip
    print(f"{'operation':<9} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}   "
          f"{'request p50':>11} {'p99':>8}  never")  # fmt: skip
    for op in OPERATIONS:
        v, r = row["visible"][op], row["request"][op]
        print(f"{op:<9} {v['n']:>4} {ms(v['p50'])} {ms(v['p95'])} {ms(v['p99'])} {ms(v['max'])}   "
              f"{ms(r['p50']):>11} {ms(r['p99'])}  {row['never'][op]}")  # fmt: skip
    print(f"violations (a retired entry served after its retirement was answered): {len(row['violations'])}")
    print(
        f"load generator (wrk, searches and reads): {row['load']}; probes: {row['probe_searches']} searches"
    )


if __name__ == "__main__":
    sys.exit(main())
