"""Throughput and latency of Tillit's read API, each beside a bare Flask endpoint.

Scenarios, all measured in one run, under the same gunicorn settings and the
same load generator, with a real bearer token for the Tillit ones:

* ``bare``  -- a trivial Flask app returning a small JSON dict (the yardstick);
* ``get``   -- ``GET /api/v1/datasets/<id>``, rotating over loaded public entries;
* ``get-audited`` -- the same over ``sensitive`` entries: every such read also
  appends a hash-chained audit event and waits until it is durable (a commit with
  fsync), so it is reported beside the target, not against it (bench/audit.py
  measures that cost);
* ``list``  -- ``GET /api/v1/datasets?publisher=<SCB>&per_page=20``: a page of 20
  public entries (Statistics Sweden publishes the public tenth), no audited read;
* ``list-audited`` -- ``GET /api/v1/datasets?per_page=20``: with sensitive
  clearance a page holds ~8 whole internal and sensitive entries, each an
  audited read; reported beside the target, as ``get-audited`` is;
* ``search`` -- ``GET /api/v1/search?q=<word>`` anonymously (public entries only,
  nothing audited), rotating over words of the catalogue, facets counted;
* ``search-uncached`` -- the same queries to a second Tillit server started with
  ``TILLIT_SEARCH_CACHE=0``: the engine computes every answer again (in ``search``,
  the eight questions repeat, so after the warm-up the engine's answers come from
  the answers kept for the index's view, search/result_cache.py; the re-check, the
  audit and the page are done for every request either way);
* ``search-audited`` -- the same with the sensitive token: each page's hits above
  ``public`` are audited reads;
* ``floor`` -- with ``--database-url`` (PostgreSQL): a bare Flask endpoint that does
  one primary-key ``SELECT`` on the same database, the least any database read pays;
  Tillit's reads and lists are also given as a share of it.

``--workers 1,2`` sweeps the worker count: each count is a run of its own (servers
started afresh, ratios within it), and each Tillit scenario's req/s is also given
as a multiple of the first count's.

Ratio = Tillit req/s / bare req/s, measured in the same round. Targets: reading
one entry >= 60 %, listing 20 >= 30 %, each without audited reads (the audited
variants are the same requests plus a durable write each; see bench/README.md).

What it does: a temporary instance folder (SQLite in WAL mode unless
``--database-url`` is given), migrations, one agency, ``--entries`` published
datasets bulk-inserted through SQLAlchemy Core (valid by construction and
checked by the API's own input schema), an OAuth client with
``catalogue:read:sensitive`` registered through ClientService, and a token
fetched from the running server's ``/oauth/token`` just before each measurement.
Both apps are served by gunicorn (never the Flask development server); the load
generator is ``wrk`` (or ``--client python``) on 127.0.0.1 only, bounded in time.

Run ``python bench/api.py --help``; see bench/README.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    # Run as a script, this file's folder comes first on sys.path and this
    # module would shadow the project's own ``api`` package.
    _HERE = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
    sys.path.insert(0, str(_HERE.parent))

import argparse
import base64
import json
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
TOKEN_LIFETIME_MARGIN = 240  # seconds of load a token may cover (tokens live 300 s)

AGENCY = ("202100-5448", "SE", {"sv": "Skatteverket", "en": "Swedish Tax Agency"})
#: Publishes every tenth entry, all public: its list has no audited reads.
OPEN_AGENCY = ("202100-0837", "SE", {"sv": "Statistiska centralbyrån", "en": "Statistics Sweden"})
OPEN_SHARE = 10
SCOPE = "catalogue:read:sensitive"
TARGETS = {"get": 0.60, "list": 0.30, "search": 0.25, "list-audited": 0.30}
#: Targets against the floor endpoint (PostgreSQL).
FLOOR_TARGETS = {"get": 0.60, "list": 0.30}
#: Queries the search scenarios rotate over: a topic and a region, inflected or folded as
#: people type them, each matching about 0.7 % of the generated entries (about 70 of 10,000:
#: a few pages of hits, as a search of the demo catalogue finds). One word alone ("skatt")
#: matches most of this catalogue, which real catalogues do not: then the cost is counting
#: thousands of matches into the facets, not answering the request.
SEARCH_WORDS = [
    "punktskatter jämtland", "kassaregister skåne", "momsregistrerade uppsala", "folkbokföring halland",
    "fastighetstaxering dalarna", "skattekonton norrbotten", "income västerbotten", "excise stockholm",
]  # fmt: skip
LABELS = {
    "bare": "bare Flask JSON",
    "get": "GET /api/v1/datasets/<id>",
    "get-audited": "GET .../<id> (sensitive, audited)",
    "list": "GET ...?publisher=<SCB>&per_page=20 (public)",
    "list-audited": "GET /api/v1/datasets?per_page=20 (audited)",
    "search": "GET /api/v1/search?q=<word> (anonymous)",
    "search-uncached": "GET /api/v1/search?q=<word> (anon., no kept answers)",
    "search-audited": "GET /api/v1/search?q=<word> (audited)",
    "floor": "bare Flask + one primary-key SELECT",
}
SCENARIOS = (
    "bare", "floor", "get", "get-audited", "list", "list-audited",
    "search", "search-uncached", "search-audited",
)  # fmt: skip
BARE_PATH = "/bare"
FLOOR_PATH = "/floor/"


# -- the yardstick ------------------------------------------------------------------
def bare_app() -> Any:
    """A trivial Flask app with one JSON endpoint (gunicorn: ``bench.api:bare_app()``)."""
    from flask import Flask, jsonify

    app = Flask("bare")

    @app.get(BARE_PATH)
    def bare() -> Any:
        return jsonify({"status": "ok", "service": "bare", "version": 1})

    return app


def floor_app() -> Any:
    """The floor of a database read (gunicorn: ``bench.api:floor_app()``): one
    primary-key ``SELECT`` on ``BENCH_FLOOR_URL`` per request, pooled connections."""
    from flask import Flask, jsonify
    from sqlalchemy import create_engine, text

    engine = create_engine(os.environ["BENCH_FLOOR_URL"], pool_size=int(os.environ.get("BENCH_POOL", "10")))
    app = Flask("floor")
    select_one = text("SELECT id, revision FROM entries WHERE id = :id")

    @app.get(FLOOR_PATH + "<entry_id>")
    def floor(entry_id: str) -> Any:
        with engine.connect() as conn:
            row = conn.execute(select_one, {"id": entry_id}).first()
        return jsonify({"id": row[0] if row else None, "revision": row[1] if row else None})

    return app


# -- realistic, valid entries ---------------------------------------------------------
TOPICS = [
    # (sv, en, contains personal data)
    ("Inkomstdeklarationer", "Income tax returns", True),
    ("Folkbokföring", "Population register", True),
    ("Arbetsgivardeklarationer", "Employer declarations", True),
    ("Skattekonton", "Tax accounts", True),
    ("Momsregistrerade företag", "VAT-registered businesses", False),
    ("Fastighetstaxering", "Property tax assessment", False),
    ("F-skattegodkännanden", "F-tax approvals", False),
    ("Punktskatter", "Excise duties", False),
    ("Kassaregister", "Cash registers", False),
    ("Skatteintäkter per kommun", "Tax revenue by municipality", False),
]
REGIONS = [
    ("Stockholms län", "Stockholm County"), ("Uppsala län", "Uppsala County"),
    ("Skåne län", "Skåne County"), ("Västra Götalands län", "Västra Götaland County"),
    ("Östergötlands län", "Östergötland County"), ("Jönköpings län", "Jönköping County"),
    ("Hallands län", "Halland County"), ("Dalarnas län", "Dalarna County"),
    ("Gävleborgs län", "Gävleborg County"), ("Västernorrlands län", "Västernorrland County"),
    ("Jämtlands län", "Jämtland County"), ("Västerbottens län", "Västerbotten County"),
    ("Norrbottens län", "Norrbotten County"), ("hela Sverige", "all of Sweden"),
]  # fmt: skip
THEME_CHOICES = ["ECON", "GOVE", "SOCI", "REGI", "JUST"]
FREQUENCIES = ["DAILY", "WEEKLY", "MONTHLY", "QUARTERLY", "ANNUAL"]
FORMATS = [("CSV", "text/csv"), ("JSON", "application/json"), ("Parquet", "application/vnd.apache.parquet")]
CLASSIFICATION_MIX = [("public", 0.6), ("internal", 0.25), ("sensitive", 0.15)]
RESTRICTION = {
    "internal": ("SE", "2009:400", "18 kap. 8 §"),  # OSL: security of information systems
    "sensitive": ("SE", "2009:400", "27 kap. 1 §"),  # OSL: tax secrecy
}
PROCESSING = [("EU", "32016R0679", "Art. 6(1)(e)"), ("SE", "2001:181", "1 kap. 1 §")]
#: With --public-bases, each public entry cites the act its agency publishes under, as the
#: demo's entries do, so the reads measured carry statute names from the register:
#: Statistics Sweden's official statistics, lag (2001:99) om den officiella statistiken;
#: the Tax Agency's, skatteförfarandelagen (2011:1244). Both are in the register's seed.
PUBLIC_BASES = {"scb": ("SE", "2001:99"), "skv": ("SE", "2011:1244")}
OPTIONS = {"public_bases": False}


def _payload(rng: random.Random, scheme: Any, n: int) -> dict[str, Any]:
    """One dataset as a client would POST it, within every catalogue rule."""
    topic_sv, topic_en, personal = rng.choice(TOPICS)
    region_sv, region_en = rng.choice(REGIONS)
    year = rng.randint(2008, 2024)
    classification = rng.choices([c for c, _ in CLASSIFICATION_MIX], [w for _, w in CLASSIFICATION_MIX])[0]
    if n % OPEN_SHARE == 0:  # Statistics Sweden's open statistics
        topic_sv, topic_en, personal = "Skatteintäkter per kommun", "Tax revenue by municipality", False
        classification = "public"
    if classification == "public":
        personal = False
    # A listing level at or below the classification (often lower: "it exists" is less secret).
    below = [lvl for lvl in ("public", "internal", "sensitive") if scheme.not_above(lvl, classification)]
    listing = rng.choice(below)
    legal: list[dict[str, Any]] = []
    if classification in RESTRICTION:
        jur, ref, prov = RESTRICTION[classification]
        legal.append({"role": "restriction", "jurisdiction": jur, "reference": ref, "provision": prov})
    if personal:
        for jur, ref, prov in PROCESSING:
            legal.append({"role": "processing", "jurisdiction": jur, "reference": ref, "provision": prov})
    scb = n % OPEN_SHARE == 0
    if classification == "public" and OPTIONS["public_bases"]:
        jur, ref = PUBLIC_BASES["scb" if scb else "skv"]
        legal.append({"role": "processing", "jurisdiction": jur, "reference": ref})
    host, name_sv, name_en = (
        ("www.scb.se", "SCB", "Statistics Sweden")
        if scb
        else ("data.skatteverket.se", "Skatteverket", "the Swedish Tax Agency")
    )
    distributions = []
    for fmt, media in rng.sample(FORMATS, rng.randint(1, 3)):
        slug = f"{n:05d}.{fmt.lower()}"
        distributions.append(
            {
                "title": {"sv": f"{topic_sv} {year} ({fmt})", "en": f"{topic_en} {year} ({fmt})"},
                "format": fmt,
                "media_type": media,
                "access_url": f"https://{host}/dataset/{n:05d}",
                "download_url": f"https://{host}/download/{slug}",
                "byte_size": rng.randint(10_000, 5_000_000_000),
            }
        )
    return {
        "publisher": OPEN_AGENCY[0] if scb else AGENCY[0],
        "title": {"sv": f"{topic_sv}, {region_sv}, {year}", "en": f"{topic_en}, {region_en}, {year}"},
        "description": {
            "sv": f"{topic_sv} för {region_sv} under {year}, sammanställt av {name_sv}. "
            "Uppdateras enligt angiven frekvens; se distributionerna för format och storlek.",
            "en": f"{topic_en} for {region_en} in {year}, compiled by {name_en}. "
            "Updated at the stated frequency; see the distributions for formats and sizes.",
        },
        "keywords": {
            "sv": [topic_sv.lower(), "skatt", str(year)],
            "en": [topic_en.lower(), "tax", str(year)],
        },
        "themes": rng.sample(THEME_CHOICES, rng.randint(1, 2)),
        "contact_point": (
            {"name": "SCB, statistikservice", "email": "information@scb.se"}
            if scb
            else {"name": "Skatteverket, dataförsörjning", "email": "data@skatteverket.se"}
        ),
        "classification": classification,
        "listing_level": listing,
        "legal_basis": legal,
        "contains_personal_data": personal,
        "special_categories": False,
        "licence": "https://creativecommons.org/licenses/by/4.0/" if classification == "public" else None,
        "spatial": region_en,
        "temporal": {"start": f"{year}-01-01", "end": f"{year}-12-31"},
        "update_frequency": rng.choice(FREQUENCIES),
        "distributions": distributions,
    }


def load_entries(engine: Any, scheme: Any, count: int, seed: int = 1) -> tuple[list[str], dict[str, str]]:
    """Bulk-insert ``count`` published datasets; returns their ids.

    Each payload goes through the API's DatasetCreateSchema (shapes, vocabularies,
    legal references normalised and their URLs derived), so rows are what the
    API would have stored. Status is ``published`` and revision 3, as after
    create -> submit -> publish. (EntryService takes ~14 ms an entry here with its
    three commits, over two minutes for 10,000, hence Core.)
    """
    from sqlalchemy import insert

    from catalogue.models import Distribution, Entry, EntryTheme, LegalBasis
    from catalogue.schemas import DatasetCreateSchema

    rng = random.Random(seed)
    schema = DatasetCreateSchema()
    now = datetime.now(UTC)
    entries, bases, dists, themes, ids = [], [], [], [], []
    levels: dict[str, str] = {}
    for n in range(count):
        data = schema.load(_payload(rng, scheme, n))
        roles = {b["role"] for b in data["legal_basis"]}
        assert scheme.not_above(data["listing_level"], data["classification"])
        assert data["classification"] == scheme.lowest or "restriction" in roles
        assert not data["contains_personal_data"] or "processing" in roles
        entry_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        created = now - timedelta(days=rng.randint(30, 3000), seconds=rng.randint(0, 86_399))
        modified = created + timedelta(days=rng.randint(0, 29), seconds=rng.randint(0, 86_399))
        temporal = data["temporal"]
        entries.append(
            {
                "id": entry_id, "type": "dataset", "publisher": data["publisher"],
                "title": data["title"], "description": data["description"],
                "keywords": data["keywords"], "themes": data["themes"],
                "contact_point": data["contact_point"],
                "classification": data["classification"], "listing_level": data["listing_level"],
                "contains_personal_data": data["contains_personal_data"],
                "special_categories": data["special_categories"],
                "licence": data["licence"], "spatial": data["spatial"],
                "temporal_start": temporal["start"], "temporal_end": temporal["end"],
                "update_frequency": data["update_frequency"],
                "status": "published", "revision": 3, "created": created, "modified": modified,
                "endpoint_urls": [], "openapi": None, "version": None, "lifecycle": None,
            }
        )  # fmt: skip
        bases += [{"entry_id": entry_id, "position": i, **b} for i, b in enumerate(data["legal_basis"])]
        dists += [{"entry_id": entry_id, "position": i, **d} for i, d in enumerate(data["distributions"])]
        themes += [{"entry_id": entry_id, "theme": t} for t in data["themes"]]
        ids.append(entry_id)
        levels[entry_id] = data["classification"]
    with engine.begin() as conn:
        conn.execute(insert(Entry.__table__), entries)
        conn.execute(insert(LegalBasis.__table__), bases)
        conn.execute(insert(Distribution.__table__), dists)
        conn.execute(insert(EntryTheme.__table__), themes)
    return ids, levels


@dataclass
class Catalogue:
    instance: Path
    database_url: str
    client_id: str
    client_secret: str
    entry_ids: list[str]
    load_seconds: float
    levels: dict[str, str] = field(default_factory=dict)
    lowest: str = "public"


def prepare(instance: Path, database_url: str | None, count: int, issuer: str) -> Catalogue:
    """Migrate, then register the agency, the entries and an OAuth client."""
    os.environ["TILLIT_INSTANCE_PATH"] = str(instance)
    os.environ["TILLIT_ISSUER"] = issuer
    if database_url:
        os.environ["TILLIT_DATABASE_URL"] = database_url
    from sqlalchemy import func, select

    from api.app import create_app
    from authserver.services.clients import ClientService
    from catalogue.migrate import upgrade
    from catalogue.models import Agency, Entry
    from catalogue.services.agencies import AgencyService
    from security.identity import system_identity

    app = create_app()
    ext = app.extensions["tillit"]
    upgrade(ext.engine)
    system = system_identity(ext.scheme)
    with ext.sessions() as session:
        if session.scalar(select(func.count()).select_from(Entry)):
            raise SystemExit("The database already holds entries: give an empty, throw-away database.")
        for orgnr, country, name in (AGENCY, OPEN_AGENCY):
            if session.get(Agency, orgnr) is None:
                AgencyService(session, ext.scheme).create(
                    system, {"orgnr": orgnr, "country": country, "name": name, "clearance": "sensitive"}
                )
    started = time.perf_counter()
    ids, levels = load_entries(ext.engine, ext.scheme, count)
    load_seconds = time.perf_counter() - started
    ext.indexer.reindex()  # the search scenarios' index (the bulk insert wrote no outbox rows)
    ext.search.close()  # and its lock, which the servers' index writer takes
    with ext.sessions() as session:
        issued = ClientService(session, ext.scheme).create(
            system, agency=AGENCY[0], name="API benchmark", scopes=[SCOPE]
        )
        client_id, secret = issued.client.client_id, issued.secret
    url = str(ext.engine.url.render_as_string(hide_password=False))
    ext.engine.dispose()
    return Catalogue(instance, url, client_id, secret, ids, load_seconds, levels, ext.scheme.lowest)


# -- servers --------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


#: Every server runs ``tillit serve``'s worker: gunicorn's threaded worker that spreads
#: kept-alive connections over the workers (api/cli/balance.py) and answers gunicorn's
#: refusals as problems. Bare and Tillit are served alike.
WORKER_CLASS = "api.cli.serve_worker.ProblemWorker"


@dataclass
class Server:
    name: str
    app_spec: str
    port: int
    workers: int
    threads: int
    log: Path
    env: dict[str, str]
    worker_class: str = WORKER_CLASS
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "gunicorn",
            "--worker-class", self.worker_class,
            "--workers", str(self.workers), "--threads", str(self.threads),
            "--bind", f"127.0.0.1:{self.port}", "--keep-alive", "5",
            "--chdir", str(REPO), "--log-level", "warning",
            self.app_spec,
        ]  # fmt: skip

    def start(self, probe: str) -> None:
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(self.command(), env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"{self.name} server exited; see {self.log}:\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(self.base + probe, timeout=2) as response:
                    if response.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                time.sleep(0.2)
        raise SystemExit(f"{self.name} server did not answer {probe} in 60 s; see {self.log}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# -- load generation ------------------------------------------------------------------
@dataclass
class Measurement:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int


WRK_SCRIPT = """
local paths = {%(paths)s}
local headers = {%(headers)s}
local prepared = {}
local i = 0
init = function(args)
  for k, p in ipairs(paths) do prepared[k] = wrk.format("GET", p, headers) end
end
request = function()
  i = i %% #prepared + 1
  return prepared[i]
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p95_us": %%d, "p99_us": %%d, ' ..
    '"errors": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string of ASCII is a valid Lua string literal


def run_wrk(
    base: str, paths: list[str], headers: dict[str, str], seconds: float, connections: int, folder: Path
) -> Measurement:
    # wrk takes whole seconds only.
    script = folder / "bench.lua"
    script.write_text(
        WRK_SCRIPT
        % {
            "paths": ", ".join(_lua_string(p) for p in paths),
            "headers": ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items()),
        }
    )
    cmd = ["wrk", "-t", "1", "-c", str(connections), "-d", f"{max(1, round(seconds))}s", "--timeout", "10s",
           "-s", str(script), base + paths[0]]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH ")), None)
    if out.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    r = json.loads(line[len("BENCH ") :])
    duration = r["duration_us"] / 1e6
    return Measurement(
        requests=r["requests"],
        seconds=round(duration, 3),
        rps=r["requests"] / duration,
        p50_ms=r["p50_us"] / 1000,
        p95_ms=r["p95_us"] / 1000,
        p99_ms=r["p99_us"] / 1000,
        errors=r["errors"],
    )


def _python_worker(args: tuple[str, list[str], dict[str, str], float, int]) -> tuple[list[float], int]:
    """One process of the Python load generator: ``conns`` keep-alive connections in threads."""
    import http.client
    import threading
    from urllib.parse import urlsplit

    base, paths, headers, seconds, conns = args
    host = urlsplit(base)
    deadline = time.perf_counter() + seconds
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def loop(offset: int) -> None:
        conn = http.client.HTTPConnection(host.hostname, host.port, timeout=10)
        mine, i = [], offset
        while (start := time.perf_counter()) < deadline:
            i = (i + 1) % len(paths)
            try:
                conn.request("GET", paths[i], headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection(host.hostname, host.port, timeout=10)
            mine.append(time.perf_counter() - start)
            if not ok:
                with lock:
                    errors[0] += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=loop, args=(k * 7919,)) for k in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors[0]


def run_python(
    base: str, paths: list[str], headers: dict[str, str], seconds: float, connections: int, _folder: Path
) -> Measurement:
    from concurrent.futures import ProcessPoolExecutor

    processes = min(connections, 2)
    shares = [connections // processes + (1 if k < connections % processes else 0) for k in range(processes)]
    with ProcessPoolExecutor(processes) as pool:
        parts = list(pool.map(_python_worker, [(base, paths, headers, seconds, n) for n in shares]))
    latencies = sorted(x for lat, _ in parts for x in lat)
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    return Measurement(
        requests=len(latencies),
        seconds=seconds,
        rps=len(latencies) / seconds,
        p50_ms=q[49] * 1000,
        p95_ms=q[94] * 1000,
        p99_ms=q[98] * 1000,
        errors=sum(e for _, e in parts),
    )


# -- scenarios ------------------------------------------------------------------------
def fetch_token(base: str, client_id: str, secret: str) -> str:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    request = urllib.request.Request(
        base + "/oauth/token",
        data=b"grant_type=client_credentials",
        headers={"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.loads(response.read())["access_token"])


def check(base: str, path: str, headers: dict[str, str]) -> Any:
    request = urllib.request.Request(base + path, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        if response.status != 200:
            raise SystemExit(f"{path} answered {response.status}")
        return json.loads(response.read())


@contextmanager
def servers(
    args: argparse.Namespace, catalogue: Catalogue, folder: Path, workers: int
) -> Iterator[dict[str, Server]]:
    """bare, Tillit (with its index writer process, as `tillit serve` runs it) and,
    on a database server, the floor endpoint; all under the same gunicorn settings."""
    from search.writer import WriterProcess

    env = {k: v for k, v in os.environ.items() if not k.startswith("TILLIT_")}
    env["PYTHONPATH"] = str(REPO)
    tillit_port, bare_port = free_port(), free_port()
    tillit_env = env | {
        "TILLIT_INSTANCE_PATH": str(catalogue.instance),
        "TILLIT_DATABASE_URL": catalogue.database_url,
        "TILLIT_ISSUER": f"http://127.0.0.1:{tillit_port}",
        "TILLIT_AUDIT_WRITER": "process",  # as `tillit serve` runs it
        "TILLIT_INDEX_WRITER": "process",
        "TILLIT_DATABASE_POOL_SIZE": str(args.threads + 2),
    }
    found = {
        "bare": Server("bare", "bench.api:bare_app()", bare_port, workers, args.threads,
                       folder / "bare.log", env),
        "tillit": Server("tillit", "api.app:create_app()", tillit_port, workers, args.threads,
                         folder / "tillit.log", tillit_env),
    }  # fmt: skip
    if "search-uncached" in args.scenarios.split(","):
        found["tillit-uncached"] = Server(
            "tillit-uncached", "api.app:create_app()", free_port(), workers, args.threads,
            folder / "tillit-uncached.log", tillit_env | {"TILLIT_SEARCH_CACHE": "0"},
        )  # fmt: skip
    if not catalogue.database_url.startswith("sqlite"):
        floor_env = env | {"BENCH_FLOOR_URL": catalogue.database_url, "BENCH_POOL": str(args.threads + 2)}
        found["floor"] = Server("floor", "bench.api:floor_app()", free_port(), workers, args.threads,
                                folder / "floor.log", floor_env)  # fmt: skip
    for server in found.values():
        server.worker_class = args.worker_class
    writer = WriterProcess(catalogue.database_url, str(catalogue.instance), catalogue.lowest, 0.5)
    try:
        writer.start()
        found["bare"].start(BARE_PATH)
        if "floor" in found:
            found["floor"].start(FLOOR_PATH + catalogue.entry_ids[0])
        found["tillit"].start("/healthz")
        if "tillit-uncached" in found:
            found["tillit-uncached"].start("/healthz")
        yield found
    finally:
        for server in found.values():
            server.stop()
        writer.stop()


def measure_round(
    args: argparse.Namespace, catalogue: Catalogue, found: dict[str, Server], folder: Path, rnd: int
) -> dict[str, Measurement]:
    tillit = found["tillit"]
    run = run_wrk if args.client == "wrk" else run_python
    rng = random.Random(rnd)
    public = [i for i in catalogue.entry_ids if catalogue.levels.get(i) == "public"]
    sensitive = [i for i in catalogue.entry_ids if catalogue.levels.get(i) == "sensitive"]
    get_paths = [f"/api/v1/datasets/{i}" for i in rng.sample(public, min(1000, len(public)))]
    audited_paths = [f"/api/v1/datasets/{i}" for i in rng.sample(sensitive, min(1000, len(sensitive)))]
    results: dict[str, Measurement] = {}
    wanted = {"bare", "floor", *args.scenarios.split(",")}
    searches = [f"/api/v1/search?q={urllib.parse.quote(w)}" for w in SEARCH_WORDS]
    for scenario in [s for s in SCENARIOS if s in wanted and (s != "floor" or "floor" in found)]:
        if scenario == "bare":
            server, paths, headers = found["bare"], [BARE_PATH], {}
        elif scenario == "floor":
            server, paths, headers = found["floor"], [FLOOR_PATH + i for i in get_paths_ids(get_paths)], {}
        elif scenario == "search":
            server, paths, headers = tillit, searches, {}
        elif scenario == "search-uncached":
            server, paths, headers = found["tillit-uncached"], searches, {}
        else:
            token = fetch_token(tillit.base, catalogue.client_id, catalogue.client_secret)
            headers = {"Authorization": f"Bearer {token}"}
            server = tillit
            paths = {
                "get": get_paths,
                "get-audited": audited_paths,
                "list": [f"/api/v1/datasets?publisher={OPEN_AGENCY[0]}&per_page=20"],
                "list-audited": ["/api/v1/datasets?per_page=20"],
                "search-audited": searches,
            }[scenario]
        body = check(server.base, paths[0], headers)
        if scenario == "list" and (
            len(body["items"]) != 20 or any(i["classification"] != "public" for i in body["items"])
        ):
            raise SystemExit("The open list should hold 20 public entries.")
        if scenario == "list-audited" and (len(body["items"]) != 20 or body["total"] != args.entries):
            raise SystemExit(f"The list answered {len(body['items'])} items of {body['total']}.")
        if scenario == "list-audited" and not any(
            i["classification"] != "public" and not i["redacted"] for i in body["items"]
        ):
            raise SystemExit("The audited list holds no whole internal or sensitive entry.")
        for path in paths if scenario.startswith("search") else ():
            answer = check(server.base, path, headers)
            if not (answer["total"] and answer["items"] and answer["facets"]):
                raise SystemExit(f"The search {path} found nothing (or counted no facets).")
        if scenario == "floor" and body.get("id") is None:
            raise SystemExit("The floor endpoint found no entry.")
        if scenario.startswith("get") and body.get("redacted") is not False:
            raise SystemExit("The entry came back redacted: the token lacks clearance.")
        if scenario == "get" and args.public_bases and not body.get("legal_basis"):
            raise SystemExit("--public-bases: the public entry cites no statute.")
        # Every rotated entry once, so that the timed warm-up starts on a warm catalogue:
        # a first read renders the entry (several ms), which 5 s of load do not cover
        # for 1,000 entries. The measurement is of the steady state.
        # Each worker process keeps its own renderings: with several, read each entry often
        # enough (new connections land on any worker) that every worker has most of them.
        passes = 1 if server.workers == 1 else 3 * server.workers
        for _ in range(passes):
            for path in paths[1:] if passes == 1 else paths:
                check(server.base, path, headers)
        print(f"  round {rnd}: {LABELS[scenario]}: warm-up {args.warmup:g} s, "
              f"measure {args.duration:g} s ...", flush=True)  # fmt: skip
        if args.warmup > 0:
            run(server.base, paths, headers, args.warmup, args.connections, folder)
        m = run(server.base, paths, headers, args.duration, args.connections, folder)
        if m.errors:
            print(f"    WARNING: {m.errors} failed requests (non-2xx, timeouts or socket errors)")
        results[scenario] = m
    return results


def get_paths_ids(paths: list[str]) -> list[str]:
    return [p.rsplit("/", 1)[1] for p in paths]


# -- profiling ------------------------------------------------------------------------
def profile(catalogue: Catalogue, requests: int = 300) -> Path:
    """Profile both Tillit scenarios in-process (Flask test client, pyinstrument).

    In-process, so gunicorn, the network and the load generator are not in the
    picture: this shows where the application's own time goes.
    """
    try:
        from pyinstrument import Profiler
    except ImportError as exc:
        raise SystemExit("--profile needs pyinstrument: pip install pyinstrument") from exc
    from api.app import create_app

    app = create_app()
    client = app.test_client()
    basic = base64.b64encode(f"{catalogue.client_id}:{catalogue.client_secret}".encode()).decode()
    token = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                        headers={"Authorization": f"Basic {basic}"}).json["access_token"]  # fmt: skip
    headers = {"Authorization": f"Bearer {token}"}
    ids = catalogue.entry_ids
    scenarios = {
        "get": [f"/api/v1/datasets/{ids[i % len(ids)]}" for i in range(requests)],
        "list": [f"/api/v1/datasets?publisher={OPEN_AGENCY[0]}&per_page=20"] * max(1, requests // 10),
        "list-audited": ["/api/v1/datasets?per_page=20"] * max(1, requests // 10),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"api-profile-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.txt"
    with out.open("w") as fh:
        for name, paths in scenarios.items():
            for path in paths[:20]:
                client.get(path, headers=headers)
            profiler = Profiler(interval=0.0005)
            profiler.start()
            for path in paths:
                client.get(path, headers=headers)
            profiler.stop()
            fh.write(f"== {name}: {len(paths)} requests, {LABELS[name]}\n")
            fh.write(profiler.output_text(unicode=False, color=False))
    app.extensions["tillit"].engine.dispose()
    return out


# -- reporting ------------------------------------------------------------------------
def rows_for(rounds: list[dict[str, Measurement]], workers: int = 1) -> list[dict[str, Any]]:
    rows = []
    for rnd, results in enumerate(rounds, start=1):
        bare = results["bare"].rps
        floor = results["floor"].rps if "floor" in results else None
        for scenario, m in results.items():
            # The targets hold for one worker (the figures); other counts are reported.
            target = TARGETS.get(scenario) if workers == 1 else None
            ratio = m.rps / bare if scenario != "bare" and bare else None
            of_floor = m.rps / floor if floor and scenario in FLOOR_TARGETS else None
            rows.append(
                {
                    "workers": workers,
                    "round": rnd,
                    "scenario": scenario,
                    "label": LABELS[scenario],
                    **asdict(m),
                    "ratio": ratio,
                    "of_floor": of_floor,
                    "target": target,
                    "result": None if target is None else ("PASS" if ratio and ratio >= target else "MISS"),
                }
            )
    return rows


def print_scaling(rows: list[dict[str, Any]]) -> None:
    """Each scenario's mean req/s per worker count, as a multiple of the first count's."""
    counts = sorted({r["workers"] for r in rows})
    if len(counts) < 2:
        return
    mean: dict[tuple[str, int], float] = {}
    for scenario in SCENARIOS:
        for w in counts:
            found = [r["rps"] for r in rows if r["scenario"] == scenario and r["workers"] == w]
            if found:
                mean[scenario, w] = statistics.fmean(found)
    print("Worker sweep: mean req/s (x the first count's)")
    for scenario in SCENARIOS:
        if (scenario, counts[0]) in mean:
            cells = [f"{w}: {mean[scenario, w]:8.1f} (x{mean[scenario, w] / mean[scenario, counts[0]]:.2f})"
                     for w in counts if (scenario, w) in mean]  # fmt: skip
            print(f"  {scenario:<15} " + "   ".join(cells))
    print()


def print_table(rows: list[dict[str, Any]]) -> None:
    width = max(len(label) for label in LABELS.values())
    head = (f"{'wk':>2} {'round':>5}  {'scenario':<{width}} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} "
            f"{'p99 ms':>8} {'errors':>6}  {'ratio':>6} {'target':>7}  {'floor':>6}  result")  # fmt: skip
    print()
    print(head)
    print("-" * len(head))
    for r in rows:
        ratio = f"{r['ratio']:.1%}" if r["ratio"] is not None else "-"
        target = f">={r['target']:.0%}" if r["target"] is not None else "-"
        floor = f"{r['of_floor']:.1%}" if r.get("of_floor") is not None else "-"
        print(f"{r['workers']:>2} {r['round']:>5}  {r['label']:<{width}} {r['rps']:>9.1f} "
              f"{r['p50_ms']:>8.2f} {r['p95_ms']:>8.2f} {r['p99_ms']:>8.2f} {r['errors']:>6}  "
              f"{ratio:>6} {target:>7}  {floor:>6}  {r['result'] or '-'}")  # fmt: skip
    print()


def environment(args: argparse.Namespace, catalogue: Catalogue) -> dict[str, Any]:
    import gunicorn

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    wrk_version = ""
    if args.client == "wrk":
        wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0]
    return {
        "commit": commit.stdout.strip(),
        "python": platform.python_version(),
        "gunicorn": gunicorn.__version__,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "database": catalogue.database_url.split(":", 1)[0].split("+")[0],
        "entries": args.entries,
        "load_seconds": round(catalogue.load_seconds, 2),
        "server": f"gunicorn {args.worker_class}, {args.workers} workers x {args.threads} threads, "
        "keep-alive 5 s",
        "client": wrk_version or "python http.client",
        "connections": args.connections,
        "duration": args.duration,
        "warmup": args.warmup,
        "rounds": args.rounds,
    }


# -- main -----------------------------------------------------------------------------
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python bench/api.py",
        description="Measure req/s and p50/p95 latency of reading one entry and listing 20, "
        "each against a bare Flask JSON endpoint under the same gunicorn settings.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--entries", type=int, default=10_000, help="Datasets to load.")
    p.add_argument("--duration", type=float, default=15, help="Seconds measured per scenario and round.")
    p.add_argument("--warmup", type=float, default=5, help="Seconds of discarded load before each.")
    p.add_argument("--connections", type=int, default=8, help="Concurrent keep-alive connections.")
    p.add_argument(
        "--rounds", type=int, default=2, help="Rounds of every scenario, each round with its own ratios."
    )
    p.add_argument("--workers", default="1",
                   help="gunicorn worker processes (every server), or a comma-separated sweep such as "
                   "1,2 (each count measured in a run of its own).")  # fmt: skip
    p.add_argument("--threads", type=int, default=8, help="gunicorn threads per worker (both servers).")
    p.add_argument("--worker-class", default=WORKER_CLASS,
                   help="gunicorn worker class of every server: Tillit's, or gthread (gunicorn's own, "
                   "which does not spread connections over the workers) to compare.")  # fmt: skip
    p.add_argument("--client", choices=["wrk", "python"], default="wrk" if shutil.which("wrk") else "python",
                   help="Load generator: wrk (apt-get install wrk) or Python http.client.")  # fmt: skip
    p.add_argument("--database-url", default=None,
                   help="An EMPTY throw-away database (e.g. postgresql://user@127.0.0.1/bench); "
                   "default: SQLite (WAL) in the temporary instance folder.")  # fmt: skip
    p.add_argument("--json", action="store_true", help="Also write bench/results/api-<timestamp>.json.")
    p.add_argument("--profile", action="store_true",
                   help="Afterwards, profile the Tillit scenarios in-process with pyinstrument "
                   "(bench/results/api-profile-<timestamp>.txt).")  # fmt: skip
    p.add_argument("--keep", action="store_true", help="Keep the temporary instance folder and server logs.")
    p.add_argument("--public-bases", action="store_true",
                   help="Public entries cite a statute too (as the demo's do), so the public reads "
                   "and lists measured carry the register's statute names.")  # fmt: skip
    p.add_argument("--scenarios",
                   default="get,get-audited,list,list-audited,search,search-uncached,search-audited",
                   help="Comma-separated Tillit scenarios to measure (bare always is, and the "
                   "floor on a database server).")  # fmt: skip
    args = p.parse_args(argv)
    try:
        args.worker_counts = [int(w) for w in str(args.workers).split(",")]
    except ValueError:
        p.error("--workers takes a number or numbers separated by commas.")
    if any(w < 1 for w in args.worker_counts):
        p.error("--workers must be at least 1.")
    if args.warmup + args.duration > TOKEN_LIFETIME_MARGIN:
        p.error(f"--warmup + --duration must stay under {TOKEN_LIFETIME_MARGIN} s (a token lives 300 s).")
    if args.entries < 20 or args.connections < 1 or args.rounds < 1 or args.duration <= 0:
        p.error("Need --entries >= 20, --connections >= 1, --rounds >= 1 and --duration > 0.")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    OPTIONS["public_bases"] = args.public_bases
    folder = Path(tempfile.mkdtemp(prefix="tillit-bench-"))
    try:
        target = "SQLite (WAL)"
        if args.database_url:
            from sqlalchemy.engine import make_url

            target = make_url(args.database_url).render_as_string(hide_password=True)
        print(f"Loading {args.entries} entries into {target} ...", flush=True)
        catalogue = prepare(folder / "instance", args.database_url, args.entries, "http://127.0.0.1")
        print(f"  loaded in {catalogue.load_seconds:.1f} s", flush=True)
        rows = []
        for workers in args.worker_counts:
            print(f"Serving the apps with Tillit's gunicorn worker, {workers} workers x {args.threads} "
                  f"threads; load: {args.client}, {args.connections} connections on 127.0.0.1",
                  flush=True)  # fmt: skip
            rounds = []
            with servers(args, catalogue, folder, workers) as found:
                for rnd in range(1, args.rounds + 1):
                    rounds.append(measure_round(args, catalogue, found, folder, rnd))
            rows += rows_for(rounds, workers)
        env = environment(args, catalogue)
        print_table(rows)
        print_scaling(rows)
        load = ", ".join(f"{x:.2f}" for x in env["load_average"])
        print(f"{env['cpus']} CPUs shared by the load generator and both servers "
              f"(load average when done: {load}; other work on the machine skews every figure).")  # fmt: skip
        if args.json:
            RESULTS.mkdir(parents=True, exist_ok=True)
            out = RESULTS / f"api-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
            out.write_text(json.dumps({"environment": env, "results": rows}, indent=2) + "\n")
            print(f"Wrote {out.relative_to(REPO)}")
        if args.profile:
            print(f"Wrote {profile(catalogue).relative_to(REPO)}")
        return 0 if all(r["result"] != "MISS" for r in rows) else 1
    finally:
        if args.keep:
            print(f"Kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
