"""Search benchmark: indexing, reindex, and query latency through HTTP and raw.

    python bench/search.py                     # 20,000 entries, a few minutes
    python bench/search.py --entries 100000    # the figures in docs/search.md
    python bench/search.py --entries 1000000 --engine-only
    python bench/search.py --keep /tmp/b100k --entries 100000   # keep the instance
    python bench/search.py --reuse /tmp/b100k                   # queries only, on it
    python bench/search.py --engine-only --compare-bm25         # constant scores vs BM25

Entries are written straight into the database (bulk insert), then indexed by
the real outbox indexer (``reindex``). Queries: a mix of 200 (words, inflected
forms, folded spellings, prefixes, phrases, exclusions, filters) sent to a real
``tillit serve`` (gunicorn, 127.0.0.1, a real OAuth token) and straight to the
engine with the same clearance filter; ratio = Tillit's overhead.

Two callers, measured separately (same query mix):

- ``public``: a client with ``catalogue:read:public``. It sees public entries
  only, so no read is audited: this is search's own cost.
- ``full``: a client with ``catalogue:read:sensitive`` (every level). Each page
  of hits above the lowest level appends audit events and commits them durably:
  search plus the audit of what it shows.

Each query is sent twice; the second pass is measured (the first warms caches).

``--features`` (issue 16's figure): the same entries loaded twice, into two instances
in one run, and the engine queries of both interleaved, so machine load hits both
alike. *With*: the statute register (statute names, short names and stems in every
restricted entry's ``legal_text``), 0-3 data elements an entry, and a query mix in
which one query in six filters by element and one in eight searches a statute by
name, short name, number or provision. *Without*: no register (``legal_text`` holds
jurisdiction, number and provision only, as before the register), no data elements,
and the same mix without element filters and with its ordinary words where *with*
has a statute query. Reported per caller, with and without facets (``features_*``): the
p95 of every measured time, and the p95 over the queries of each query's best pass
(robust to preemption on a busy machine), each with and without, and their ratios.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import resource
import shutil
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
from sqlalchemy import delete, func, insert, select
from tantivy import Query

from api.app import create_app
from catalogue.migrate import upgrade
from catalogue.models import (
    Distribution,
    Entry,
    EntryDataElement,
    EntryTheme,
    LegalBasis,
    OutboxEvent,
    Statute,
)
from catalogue.services.agencies import AgencyService
from search.backend import SearchFilters, SearchQuery
from security.identity import build_identity, system_identity
from security.policy import read_filter

AGENCIES = [
    ("202100-5448", "SE", {"sv": "Skatteverket"}),
    ("202100-4888", "SE", {"sv": "Lantmäteriet"}),
    ("202100-5521", "SE", {"sv": "Försäkringskassan"}),
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
#: The benchmark's callers: label → clearance (see the module docstring).
CALLERS = {"public": "public", "full": "sensitive"}
BENCH_AGENCY = "202100-4888"
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


#: The seeded data elements (migration 0008): entries hold 0-3 of them, and the query mix
#: filters on one now and then, so the element filter and facet are in the figures.
ELEMENTS = [
    "personal-identity-number", "coordination-number", "d-number", "name", "postal-address",
    "civil-status", "income", "tax-assessment", "employment", "property-unit",
    "organisation-number", "vehicle-registration",
]  # fmt: skip


#: Statute queries of the --features mix: names, short names, stems, numbers, provisions.
STATUTE_QUERIES = [
    "folkbokföring", "folkbokföringslagen", "offentlighets- och sekretesslag", "OSL",
    "OSL 21 kap", "2009:400", "skatteförfarandelag", "1991:481", "sekretess", "27 kap. 1 §",
]  # fmt: skip
#: What restricted entries cite: OSL (twice as often), the population registration act,
#: the tax procedure act (all three in the register's seed) and an act it does not know.
CITED = [
    ("2009:400", "21 kap. 7 §"), ("2009:400", "27 kap. 1 §"), ("1991:481", None),
    ("2011:1244", None), ("1999:175", None),
]  # fmt: skip


def words(rng, vocab, n):
    return " ".join(rng.choice(vocab) for _ in range(n))


def generate(engine, n, seed=1, elements=True):
    rng = random.Random(seed)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for start in range(0, n, 5000):
            entries, bases, dists, themes, held = [], [], [], [], []
            for i in range(start, min(n, start + 5000)):
                eid = str(uuid.UUID(int=rng.getrandbits(128)))
                orgnr, country, _ = rng.choice(AGENCIES)
                lang, vocab = ("sv", SV) if country == "SE" else ("nb", NB)
                cls = rng.choice(LEVELS)
                title = {lang: words(rng, vocab, 3).capitalize(), "en": words(rng, EN, 3).capitalize()}
                desc = {lang: words(rng, vocab, 25), "en": words(rng, EN, 20)}
                ts = rng.sample(THEMES, rng.randint(0, 2))
                es = rng.sample(ELEMENTS, rng.randint(0, 3))
                auth = es[:1] if rng.random() < 0.05 else []
                if not elements:  # the same draws, so both instances hold the same entries
                    es, auth = [], []
                entries.append(
                    dict(
                        id=eid,
                        type="dataset",
                        publisher=orgnr,
                        title=title,
                        description=desc,
                        keywords={lang: rng.sample(vocab, 3)},
                        themes=ts,
                        data_elements=es,
                        authoritative_for=auth,
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
                held += [dict(entry_id=eid, element=e, authoritative=e in auth) for e in es]
                if cls != "public":
                    reference, provision = rng.choice(CITED)
                    bases.append(
                        dict(
                            entry_id=eid,
                            position=0,
                            role="restriction",
                            jurisdiction="SE",
                            reference=reference,
                            provision=provision,
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
            if held:
                conn.execute(insert(EntryDataElement), held)
            if bases:
                conn.execute(insert(LegalBasis), bases)
            conn.execute(insert(Distribution), dists)


def query_mix(rng, features=True):
    """200 queries; without ``features`` the same ones less element filters and statute queries."""
    out = []
    for i in range(200):
        q = rng.choice(QUERIES) if i % 5 else ""
        statute_q = rng.choice(STATUTE_QUERIES)
        element = rng.choice(ELEMENTS)
        params = {"q": statute_q if features and i % 8 == 5 else q}
        if i % 4 == 1:
            params["theme"] = rng.choice(THEMES)
        if i % 7 == 2:
            params["publisher"] = rng.choice(AGENCIES)[0]
        if i % 10 == 3:
            params["sort"] = "title"
        if features and i % 6 == 4:
            params["element"] = element
        out.append(params)
    return out


def to_query(params, facets):
    return SearchQuery(
        text=params.get("q", ""),
        filters=SearchFilters(
            theme=(params["theme"],) if "theme" in params else (),
            publisher=(params["publisher"],) if "publisher" in params else (),
            element=(params["element"],) if "element" in params else (),
            status=("draft", "in_review", "published", "deprecated"),
        ),
        sort=params.get("sort", "relevance"),
        facets=facets,
    )


def load_and_index(ext, n, report, features=True):
    upgrade(ext.engine)
    if not features:  # as before the register: legal_text without statute names
        with ext.engine.begin() as conn:
            conn.execute(delete(Statute))
    with ext.sessions() as s:
        for orgnr, country, name in AGENCIES:
            AgencyService(s, ext.scheme).create(
                system_identity(ext.scheme),
                {"orgnr": orgnr, "country": country, "name": name, "clearance": "sensitive"},
            )
    t = time.perf_counter()
    generate(ext.engine, n, elements=features)
    report["db_load_s"] = round(time.perf_counter() - t, 1)

    reindex(ext, report)

    # Incremental indexing through the outbox: 500 single-entry changes.
    with ext.sessions() as s:
        ids = [r[0] for r in s.execute(Entry.__table__.select().with_only_columns(Entry.id).limit(500))]
        s.execute(insert(OutboxEvent), [dict(entry_id=i, revision=1, created=datetime.now(UTC)) for i in ids])
        s.commit()
    t = time.perf_counter()
    ext.indexer.drain()
    report["outbox_drain_entries_per_s"] = round(500 / (time.perf_counter() - t))


def reindex(ext, report):
    t = time.perf_counter()
    count = ext.indexer.reindex()
    reindex_s = time.perf_counter() - t
    report["reindex_s"] = round(reindex_s, 1)
    report["indexing_entries_per_s"] = round(count / reindex_s)
    report["reindex_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def create_client(env, level):
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "api.cli",
            "clients",
            "create",
            "--agency",
            BENCH_AGENCY,
            "--name",
            f"bench-{level}",
            "--scopes",
            f"catalogue:read:{level}",
            "--json",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def compare_bm25(backend, scheme, mix, report):
    """Constant-score ranking (current) against BM25 (before), the same queries on the
    same searcher, alternating which goes first, so machine load hits both alike."""
    bm25 = copy.copy(backend)
    bm25._weighted = lambda match, weight: Query.boost_query(match, weight)
    for caller, level in CALLERS.items():
        identity = build_identity(
            scheme, kind="client", subject="bench", agency=BENCH_AGENCY, scopes=[f"catalogue:read:{level}"]
        )
        rf = read_filter(identity)
        for facets in (True, False):
            samples = {"const": [], "bm25": []}
            for i, params in enumerate(mix * 3):
                pair = (("const", backend), ("bm25", bm25))
                for name, engine in pair if i % 2 else pair[::-1]:
                    t = time.perf_counter()
                    engine.search(rf, to_query(params, facets))
                    samples[name].append((time.perf_counter() - t) * 1000)
            key = f"{caller}_facets_{facets}"
            const, old = pct(samples["const"][len(mix) :]), pct(samples["bm25"][len(mix) :])
            report[f"compare_ms_{key}"] = {"const": const, "bm25": old}
            report[f"compare_ratio_p50_p95_{key}"] = [
                round(const["p50"] / old["p50"], 3),
                round(const["p95"] / old["p95"], 3),
            ]


def compare_features(without_folder, n, backend, scheme, report, passes=4):
    """Load the same entries into a second instance without statute names and data
    elements, then time the two mixes on the two indexes, interleaved (docs/search.md)."""
    shutil.rmtree(without_folder, ignore_errors=True)  # from a kept run: loaded afresh
    os.environ["TILLIT_INSTANCE_PATH"] = str(without_folder)
    other = create_app().extensions["tillit"]
    sub: dict[str, object] = {}
    load_and_index(other, n, sub, features=False)
    report["features_without_reindex_s"] = sub["reindex_s"]
    with_mix, without_mix = query_mix(random.Random(7)), query_mix(random.Random(7), features=False)
    scopes = ["catalogue:read:sensitive"]
    full = read_filter(build_identity(scheme, kind="client", subject="b", agency=BENCH_AGENCY, scopes=scopes))
    named = to_query({"q": "folkbokföringslagen"}, False)
    if not (backend.search(full, named).total > 0 == other.search.search(full, named).total):
        raise SystemExit("--features: only the instance with the register should find a statute by name.")
    for caller, level in CALLERS.items():
        identity = build_identity(
            scheme, kind="client", subject="bench", agency=BENCH_AGENCY, scopes=[f"catalogue:read:{level}"]
        )
        rf = read_filter(identity)
        for facets in (True, False):
            # samples[name][j]: query j's times, one per pass; pass 0 warms caches.
            samples: dict[str, list[list[float]]] = {
                "with": [[] for _ in with_mix],
                "without": [[] for _ in with_mix],
            }
            for i in range(len(with_mix) * passes):
                j = i % len(with_mix)
                pair = (("with", backend, with_mix[j]), ("without", other.search, without_mix[j]))
                for name, engine, params in pair if i % 2 else pair[::-1]:
                    t = time.perf_counter()
                    engine.search(rf, to_query(params, facets))
                    samples[name][j].append((time.perf_counter() - t) * 1000)
            key = f"{caller}_facets_{facets}"
            # p95 of every measured time, and p95 over the queries of each one's best
            # pass (what preemption by other work on a shared machine cannot inflate).
            every = {name: pct([t for times in q for t in times[1:]]) for name, q in samples.items()}
            best = {name: pct([min(times[1:]) for times in q]) for name, q in samples.items()}
            report[f"features_ms_{key}"] = {"every": every, "best_of_passes": best}
            report[f"features_ratio_p95_{key}"] = {
                "every": round(every["with"]["p95"] / every["without"]["p95"], 3),
                "best_of_passes": round(best["with"]["p95"] / best["without"]["p95"], 3),
            }
    other.search.close()
    other.engine.dispose()
    os.environ["TILLIT_INSTANCE_PATH"] = str(without_folder.parent)


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
    parser.add_argument("--reuse", help="A kept instance folder: skip loading and indexing.")
    parser.add_argument("--reindex", action="store_true", help="With --reuse: rebuild the index anyway.")
    parser.add_argument("--profile", help="Write a pyinstrument profile of the engine queries here (HTML).")
    parser.add_argument(
        "--compare-bm25",
        action="store_true",
        help="Also time each engine query with BM25 scoring (as before constant scores), interleaved.",
    )
    parser.add_argument(
        "--features",
        action="store_true",
        help="Also load the entries without statute names and data elements into a second "
        "instance and report each engine p95 with and without them, interleaved.",
    )
    parser.add_argument(
        "--features-passes", type=int, default=4, help="With --features: passes of the mix (the first warms)."
    )
    args = parser.parse_args()
    folder = Path(args.reuse or args.keep or tempfile.mkdtemp(prefix="tillit-bench-"))
    os.environ["TILLIT_INSTANCE_PATH"] = str(folder)
    port = free_port()
    os.environ["TILLIT_ISSUER"] = f"http://127.0.0.1:{port}"
    app = create_app()
    ext = app.extensions["tillit"]
    report: dict[str, object] = {"cpus": os.cpu_count(), "load_average_at_start": os.getloadavg()}
    if args.reuse:
        with ext.sessions() as s:
            report["entries"] = s.scalar(select(func.count()).select_from(Entry))
        if args.reindex or ext.search.index.searcher().num_docs != report["entries"]:
            reindex(ext, report)
    else:
        report["entries"] = args.entries
        load_and_index(ext, args.entries, report)

    mix = query_mix(random.Random(7))
    backend = ext.search
    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
    for caller, level in CALLERS.items():
        scopes = [f"catalogue:read:{level}"]
        identity = build_identity(
            ext.scheme, kind="client", subject="bench", agency=BENCH_AGENCY, scopes=scopes
        )
        rf = read_filter(identity)
        for facets in (True, False):
            samples = []
            for params in mix * 2:
                t = time.perf_counter()
                backend.search(rf, to_query(params, facets))
                samples.append((time.perf_counter() - t) * 1000)
            report[f"engine_ms_{caller}_facets_{facets}"] = pct(samples[len(mix) :])
    if args.compare_bm25:
        compare_bm25(backend, ext.scheme, mix, report)
    if args.features:
        t = time.perf_counter()
        compare_features(
            folder / "without-features", report["entries"], backend, ext.scheme, report, args.features_passes
        )
        report["features_s"] = round(time.perf_counter() - t, 1)
    if profiler is not None:
        profiler.stop()
        Path(args.profile).write_text(profiler.output_html())
    report["bench_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    report["index_segments"] = backend.index.searcher().num_segments
    report["index_size_mb"] = round(sum(f.stat().st_size for f in (folder / "search-index").iterdir()) / 1e6)
    backend.close()
    ext.engine.dispose()

    if not args.engine_only:
        env = {**os.environ}
        creds = {caller: create_client(env, level) for caller, level in CALLERS.items()}
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
            for caller in CALLERS:
                for facets in (True, False):
                    # A fresh token for every measurement: tokens live 300 s at most.
                    http = requests.Session()
                    token = http.post(
                        base + "/oauth/token",
                        data={"grant_type": "client_credentials"},
                        auth=(creds[caller]["client_id"], creds[caller]["client_secret"]),
                    ).json()["access_token"]
                    http.headers["Authorization"] = f"Bearer {token}"
                    samples = []
                    for params in mix * 2:
                        t = time.perf_counter()
                        r = http.get(
                            base + "/api/v1/search", params={**params, "facets": str(facets).lower()}
                        )
                        samples.append((time.perf_counter() - t) * 1000)
                        assert r.status_code == 200, r.text
                    key = f"{caller}_facets_{facets}"
                    report[f"http_ms_{key}"] = pct(samples[len(mix) :])
                    report[f"ratio_p95_{key}"] = round(
                        report[f"http_ms_{key}"]["p95"] / report[f"engine_ms_{key}"]["p95"], 2
                    )
            with open(f"/proc/{server.pid}/status") as fh:
                peak = next(line for line in fh if line.startswith("VmHWM"))
            report["server_peak_rss_mb"] = round(int(peak.split()[1]) / 1024)
        finally:
            server.terminate()
            server.wait(10)
    print(json.dumps(report, indent=2))
    if not (args.keep or args.reuse):  # a temporary instance: hundreds of MB at 100,000 entries
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
