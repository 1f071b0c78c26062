"""The web pages beside the JSON API: the search page and an entry page, each against the
API's answer to the same request, in the same run, on the same server.

    python bench/web.py                          # 10,000 entries
    python bench/web.py --entries 100000         # issue 17's figure
    python bench/web.py --keep /tmp/w100k --entries 100000   # keep the instance
    python bench/web.py --reuse /tmp/w100k                    # requests only, on it

Entries are generated, loaded and indexed as bench/search.py does (its ``load_and_index``,
imported from the file). A real ``tillit serve`` (gunicorn, 127.0.0.1) answers both, with a
real token of a client cleared for ``internal`` (the pages take the bearer identity until
sign-in lands: api/web/session.py), so a page and its API request act with one identity:

- ``search``: ``GET /?<params>`` against ``GET /api/v1/search?<params>`` (facets on, as the
  page always shows them), over bench/search.py's mix of 200 queries (words, phrases,
  prefixes, filters by theme, publisher and element, sort by title), in Swedish;
- ``entry``: ``GET /entries/<id>`` against ``GET /api/v1/datasets/<id>``, over 200 published
  entries the caller may read (public and internal: whole entries, some audited reads).

Each pair is sent one after the other (page, then API, alternating which goes first), so
machine load falls on both alike; the mix is sent twice and the second pass measured.
Ratio = page p95 / API p95; target ≤ 1.5 (issue 17).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import requests  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from api.app import create_app  # noqa: E402
from catalogue.models import Entry  # noqa: E402

# bench/search.py is a script named like the project's ``search`` package: load it by path.
_spec = importlib.util.spec_from_file_location("bench_search", REPO / "bench" / "search.py")
assert _spec is not None and _spec.loader is not None
bench_search: Any = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_search)

TARGET = 1.5
CLEARANCE = "internal"


def pairs_for_search(mix: list[dict[str, str]]) -> list[tuple[str, str, dict[str, str]]]:
    return [("/", "/api/v1/search", {**params, "lang": "sv"}) for params in mix]


def pairs_for_entries(ids: list[str]) -> list[tuple[str, str, dict[str, str]]]:
    return [(f"/entries/{i}", f"/api/v1/datasets/{i}", {"lang": "sv"}) for i in ids]


def measure(
    http: requests.Session, base: str, pairs: list[tuple[str, str, dict[str, str]]]
) -> dict[str, dict[str, float]]:
    """Page and API times (ms) of each pair, the second of two passes; alternating order."""
    page_ms: list[float] = []
    api_ms: list[float] = []
    for attempt in range(2):
        page_ms.clear()
        api_ms.clear()
        for n, (page, api, params) in enumerate(pairs):
            order = [(page, page_ms), (api, api_ms)]
            if (n + attempt) % 2:
                order.reverse()
            for path, samples in order:
                t = time.perf_counter()
                r = http.get(base + path, params=params)
                samples.append((time.perf_counter() - t) * 1000)
                assert r.status_code == 200, (path, r.status_code, r.text[:300])
    page, api = bench_search.pct(page_ms), bench_search.pct(api_ms)
    return {"page_ms": page, "api_ms": api, "ratio_p95": {"value": round(page["p95"] / api["p95"], 2)}}


def readable_ids(ext: Any, count: int, seed: int = 3) -> list[str]:
    with ext.sessions() as s:
        ids = list(
            s.scalars(
                select(Entry.id)
                .where(Entry.status == "published", Entry.classification.in_(("public", CLEARANCE)))
                .order_by(Entry.id)
                .limit(count * 20)
            )
        )
    return random.Random(seed).sample(ids, min(count, len(ids)))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--keep", help="Instance folder to use (kept afterwards).")
    parser.add_argument("--reuse", help="A kept instance folder: skip loading and indexing.")
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    folder = Path(args.reuse or args.keep or tempfile.mkdtemp(prefix="tillit-bench-web-"))
    os.environ["TILLIT_INSTANCE_PATH"] = str(folder)
    port = bench_search.free_port()
    os.environ["TILLIT_ISSUER"] = f"http://127.0.0.1:{port}"
    app = create_app()
    ext = app.extensions["tillit"]
    report: dict[str, Any] = {"cpus": os.cpu_count(), "load_average_at_start": os.getloadavg()}
    if args.reuse:
        with ext.sessions() as s:
            report["entries"] = s.scalar(select(func.count()).select_from(Entry))
    else:
        report["entries"] = args.entries
        bench_search.load_and_index(ext, args.entries, report)
    ids = readable_ids(ext, 200)
    ext.search.close()
    ext.engine.dispose()

    env = {**os.environ}
    creds = bench_search.create_client(env, CLEARANCE)
    server = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--threads", str(args.threads)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                if requests.get(base + "/healthz", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        mix = bench_search.query_mix(random.Random(7))
        for name, pairs in (("search", pairs_for_search(mix)), ("entry", pairs_for_entries(ids))):
            http = requests.Session()  # a fresh token for each measurement: tokens live 300 s
            token = http.post(
                base + "/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(creds["client_id"], creds["client_secret"]),
            ).json()["access_token"]
            http.headers["Authorization"] = f"Bearer {token}"
            report[name] = measure(http, base, pairs)
            report[name]["target_met"] = report[name]["ratio_p95"]["value"] <= TARGET
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:  # gunicorn finishing its requests on a busy machine
            server.kill()
            server.wait(10)
    report["load_average_at_end"] = os.getloadavg()
    print(json.dumps(report, indent=2))
    if not (args.keep or args.reuse):
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
