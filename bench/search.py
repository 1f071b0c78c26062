"""Search benchmark: indexing, reindex, and query latency through HTTP and raw.

    python bench/search.py                     # 20,000 entries, a few minutes
    python bench/search.py --entries 100000    # the figures in docs/search.md
    python bench/search.py --entries 1000000 --engine-only

Entries are written straight into the database (bulk insert), then indexed by
the real outbox indexer (``reindex``). Queries: a mix of 200 (words, inflected
forms, folded spellings, prefixes, phrases, exclusions, filters) sent to a real
``tillit serve`` (gunicorn, 127.0.0.1, a real OAuth token) and straight to the
engine with the same clearance filter; ratio = Tillit's overhead.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests
from sqlalchemy import insert

from api.app import create_app
from catalogue.migrate import upgrade
from catalogue.models import Distribution, Entry, EntryTheme, LegalBasis
from catalogue.services.agencies import AgencyService
from search.backend import SearchFilters, SearchQuery
from security.identity import build_identity, system_identity
from security.policy import read_filter

AGENCIES = [
    ("202100-5448", "SE", {"sv": "Skatteverket"}),
    ("202100-4888", "SE", {"sv": "Lantmäteriet"}),
    ("202100-2742", "SE", {"sv": "Försäkringskassan"}),
    ("974761076", "NO", {"nb": "Skatteetaten"}),
    ("971040238", "NO", {"nb": "Kartverket"}),
]
SV = [
    "inkomstuppgifter",
    "fastighetsregistret",
    "folkbokföring",
    "adresser",
    "arbetsgivare",
    "löner",
    "fordon",
    "körkort",
    "sjukpenning",
    "föräldrapenning",
    "skattekonto",
    "momsdeklarationer",
    "gränser",
    "kartor",
    "byggnader",
    "ägare",
    "företag",
    "statistik",
    "miljöövervakning",
    "vägar",
]
NB = [
    "skattemeldinger",
    "folkeregisteret",
    "eiendommer",
    "grenser",
    "kart",
    "kjøretøy",
    "bedrifter",
    "lønn",
    "arbeidsgivere",
    "sykepenger",
    "høydedata",
    "bygninger",
    "særavgifter",
    "merverdiavgift",
]
EN = [
    "income",
    "statements",
    "property",
    "register",
    "addresses",
    "employers",
    "vehicles",
    "maps",
    "boundaries",
    "buildings",
    "companies",
    "statistics",
    "tax",
    "returns",
    "benefits",
    "payments",
]
THEMES = ["ECON", "GOVE", "REGI", "SOCI", "TRAN", "ENVI", "HEAL", "JUST"]
LEVELS = ["public", "public", "public", "internal", "sensitive"]
QUERIES = [
    "inkomstuppgift",
    "skattemelding",
    "fastighet",
    "lantmateriet",
    "folkbokforing",
    "kart*",
    "fastig*",
    '"skatte konto"',
    "adresser -företag",
    "income statements",
    "grense",
    "lønn",
    "lonn",
    "fordon",
    "register",
    "bygg*",
    "miljö",
    "sykepenger",
    "tax",
    "ägare",
]


def words(rng, vocab, n):
    return " ".join(rng.choice(vocab) for _ in range(n))


def generate(engine, n, seed=1):
    rng = random.Random(seed)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for start in range(0, n, 5000):
            entries, bases, dists, themes = [], [], [], []
            for i in range(start, min(n, start + 5000)):
                eid = str(uuid.UUID(int=rng.getrandbits(128)))
                orgnr, country, _ = rng.choice(AGENCIES)
                lang, vocab = ("sv", SV) if country == "SE" else ("nb", NB)
                cls = rng.choice(LEVELS)
                title = {lang: words(rng, vocab, 3).capitalize(), "en": words(rng, EN, 3).capitalize()}
                desc = {lang: words(rng, vocab, 25), "en": words(rng, EN, 20)}
                ts = rng.sample(THEMES, rng.randint(0, 2))
                entries.append(
                    dict(
                        id=eid,
                        type="dataset",
                        publisher=orgnr,
                        title=title,
                        description=desc,
                        keywords={lang: rng.sample(vocab, 3)},
                        themes=ts,
                        contact_point=None,
                        classification=cls,
                        listing_level=cls,
                        contains_personal_data=rng.random() < 0.3,
                        special_categories=False,
                        status="published" if rng.random() < 0.9 else "draft",
                        revision=1,
                        created=now,
                        modified=now - timedelta(minutes=i),
                        endpoint_urls=[],
                    )
                )
                themes += [dict(entry_id=eid, theme=t) for t in ts]
                if cls != "public":
                    bases.append(
                        dict(
                            entry_id=eid,
                            position=0,
                            role="restriction",
                            jurisdiction="SE",
                            reference=rng.choice(["2009:400", "2009:400", "1999:175"]),
                            url="https://example.org",
                        )
                    )
                dists.append(
                    dict(
                        entry_id=eid,
                        position=0,
                        format=rng.choice(["CSV", "JSON", "XML"]),
                        access_url="https://example.org/d",
                    )
                )
            conn.execute(insert(Entry), entries)
            conn.execute(insert(EntryTheme), themes)
            if bases:
                conn.execute(insert(LegalBasis), bases)
            conn.execute(insert(Distribution), dists)


def query_mix(rng):
    out = []
    for i in range(200):
        q = rng.choice(QUERIES) if i % 5 else ""
        params = {"q": q}
        if i % 4 == 1:
            params["theme"] = rng.choice(THEMES)
        if i % 7 == 2:
            params["publisher"] = rng.choice(AGENCIES)[0]
        if i % 10 == 3:
            params["sort"] = "title"
        out.append(params)
    return out


def to_query(params, facets):
    return SearchQuery(
        text=params.get("q", ""),
        filters=SearchFilters(
            theme=(params["theme"],) if "theme" in params else (),
            publisher=(params["publisher"],) if "publisher" in params else (),
            status=("draft", "in_review", "published", "deprecated"),
        ),
        sort=params.get("sort", "relevance"),
        facets=facets,
    )


def pct(samples):
    s = sorted(samples)
    q = statistics.quantiles(s, n=100, method="inclusive")
    return {"p50": round(q[49], 2), "p95": round(q[94], 2), "p99": round(q[98], 2)}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--engine-only", action="store_true", help="Skip the HTTP part.")
    parser.add_argument("--keep", help="Instance folder to use (kept afterwards).")
    args = parser.parse_args()
    folder = Path(args.keep or tempfile.mkdtemp(prefix="tillit-bench-"))
    os.environ["TILLIT_INSTANCE_PATH"] = str(folder)
    port = free_port()
    os.environ["TILLIT_ISSUER"] = f"http://127.0.0.1:{port}"
    app = create_app()
    ext = app.extensions["tillit"]
    upgrade(ext.engine)
    with ext.sessions() as s:
        for orgnr, country, name in AGENCIES:
            AgencyService(s, ext.scheme).create(
                system_identity(ext.scheme),
                {"orgnr": orgnr, "country": country, "name": name, "clearance": "sensitive"},
            )
    report: dict[str, object] = {"entries": args.entries, "cpus": os.cpu_count()}
    t = time.perf_counter()
    generate(ext.engine, args.entries)
    report["db_load_s"] = round(time.perf_counter() - t, 1)

    t = time.perf_counter()
    ext.indexer.reindex()
    reindex_s = time.perf_counter() - t
    report["reindex_s"] = round(reindex_s, 1)
    report["indexing_entries_per_s"] = round(args.entries / reindex_s)

    # Incremental indexing through the outbox: 500 single-entry changes.
    from catalogue.models import OutboxEvent

    with ext.sessions() as s:
        ids = [r[0] for r in s.execute(Entry.__table__.select().with_only_columns(Entry.id).limit(500))]
        s.execute(insert(OutboxEvent), [dict(entry_id=i, revision=1, created=datetime.now(UTC)) for i in ids])
        s.commit()
    t = time.perf_counter()
    ext.indexer.drain()
    report["outbox_drain_entries_per_s"] = round(500 / (time.perf_counter() - t))

    identity = build_identity(
        ext.scheme, kind="client", subject="bench", agency="202100-4888", scopes=["catalogue:read:internal"]
    )
    rf = read_filter(identity)
    mix = query_mix(random.Random(7))
    backend = ext.search
    for facets in (True, False):
        samples = []
        for params in mix * 2:
            t = time.perf_counter()
            backend.search(rf, to_query(params, facets))
            samples.append((time.perf_counter() - t) * 1000)
        report[f"engine_ms_facets_{facets}"] = pct(samples[len(mix) :])
    report["bench_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    backend.close()
    ext.engine.dispose()

    if not args.engine_only:
        env = {**os.environ}
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "api.cli",
                "clients",
                "create",
                "--agency",
                "202100-4888",
                "--name",
                "bench",
                "--scopes",
                "catalogue:read:internal",
                "--json",
            ],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        creds = json.loads(out.stdout.strip().splitlines()[-1])
        server = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--threads", "4"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    if requests.get(base + "/healthz", timeout=1).ok:
                        break
                except requests.ConnectionError:
                    time.sleep(0.2)
            http = requests.Session()
            token = http.post(
                base + "/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(creds["client_id"], creds["client_secret"]),
            ).json()["access_token"]
            http.headers["Authorization"] = f"Bearer {token}"
            for facets in (True, False):
                samples = []
                for params in mix * 2:
                    t = time.perf_counter()
                    r = http.get(base + "/api/v1/search", params={**params, "facets": str(facets).lower()})
                    samples.append((time.perf_counter() - t) * 1000)
                    assert r.status_code == 200, r.text
                report[f"http_ms_facets_{facets}"] = pct(samples[len(mix) :])
                report[f"ratio_p95_facets_{facets}"] = round(
                    report[f"http_ms_facets_{facets}"]["p95"] / report[f"engine_ms_facets_{facets}"]["p95"], 2
                )
            with open(f"/proc/{server.pid}/status") as fh:
                peak = next(line for line in fh if line.startswith("VmHWM"))
            report["server_peak_rss_mb"] = round(int(peak.split()[1]) / 1024)
        finally:
            server.terminate()
            server.wait(10)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
