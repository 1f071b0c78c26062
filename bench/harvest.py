"""Harvest throughput: a generated DCAT-AP catalogue of N datasets, harvested end to end.

Generates a Turtle catalogue of ``--datasets`` (10,000) datasets, each with titles and
descriptions in sv, nb and en, keywords, a theme, a public access right, legal bases
(a cpsv:follows processing rule at Lovdata and dcatap:applicableLegislation at EUR-Lex)
and two distributions. Then, in one run on the same machine:

- **parse**: rdflib's parse of the file alone (the yardstick);
- **harvest**: ``tillit harvest``'s work end to end into an empty instance: read, parse,
  map, and write every entry through the entry service (validation, audit event, outbox
  row) and submit it for review;
- **re-harvest**: the same file again, every record unchanged.

Targets (issue 18): harvest ≥ 300 entries/s and ≤ 3× parse alone; re-harvest ≥ 1,000
entries/s. Usage::

    .venv/bin/python bench/harvest.py [--datasets 10000] [--database-url URL] [--json]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import json
import os
import shutil
import tempfile
import time
from typing import Any

AGENCY = ("202100-5448", "SE", {"sv": "Skatteverket", "en": "Swedish Tax Agency"})
THEMES = ("ECON", "GOVE", "SOCI", "TRAN", "ENVI")
PREFIXES = """@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix cpsv: <http://purl.org/vocab/cpsv#> .
@prefix dcatap: <http://data.europa.eu/r5r/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
"""


def generate(path: Path, count: int) -> None:
    """A DCAT-AP catalogue of ``count`` datasets in Turtle."""
    eu = "http://publications.europa.eu/resource/authority/"
    with path.open("w", encoding="utf-8") as out:
        out.write(PREFIXES)
        out.write('<https://data.example.se/catalog> a dcat:Catalog ;\n  dct:title "Katalog"@sv ;\n')
        out.write("  dcat:dataset " + ", ".join(f"<https://data.example.se/ds/{i}>" for i in range(count)))
        out.write(" .\n")
        for i in range(count):
            ds = f"https://data.example.se/ds/{i}"
            out.write(
                f"<{ds}> a dcat:Dataset ;\n"
                f'  dct:title "Datamängd {i}"@sv, "Datasett {i}"@nb, "Dataset {i}"@en ;\n'
                f'  dct:description "Beskrivning av datamängd {i}."@sv, "Beskrivelse av datasett {i}."@nb, '
                f'"Description of dataset {i}."@en ;\n'
                f'  dcat:keyword "skatt"@sv, "skatt"@nb, "tax"@en ;\n'
                f"  dcat:theme <{eu}data-theme/{THEMES[i % len(THEMES)]}> ;\n"
                f"  dct:accessRights <{eu}access-right/PUBLIC> ;\n"
                f"  dct:accrualPeriodicity <{eu}frequency/ANNUAL> ;\n"
                f"  dct:license <{eu}licence/CC0> ;\n"
                f"  dcatap:applicableLegislation <http://data.europa.eu/eli/reg/2016/679/oj> ;\n"
                f"  cpsv:follows [ a cpsv:Rule ; dct:type "
                f"<https://data.norge.no/vocabulary/rule-type#ruleForDataProcessing> ;\n"
                f"    cpsv:implements <https://lovdata.no/NL/lov/2016-12-09-88/§1-1> ] ;\n"
                f'  dcat:contactPoint [ vcard:fn "Datateamet" ; vcard:hasEmail <mailto:data@example.se> ] ;\n'
                f"  dcat:distribution <{ds}/csv>, <{ds}/json> .\n"
                f"<{ds}/csv> a dcat:Distribution ; dcat:accessURL <https://data.example.se/files/{i}.csv> ;\n"
                f"  dcat:mediaType <https://www.iana.org/assignments/media-types/text/csv> ;\n"
                f"  dct:format <{eu}file-type/CSV> .\n"
                f"<{ds}/json> a dcat:Distribution ; dcat:accessURL <https://data.example.se/api/{i}> ;\n"
                f"  dcat:mediaType <https://www.iana.org/assignments/media-types/application/json> .\n"
            )


def main() -> None:
    """Generate, parse, harvest and re-harvest; print the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--formats", default="ttl,jsonld,rdf", help="export the harvested catalogue in these ('' for none)"
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="tillit-harvest-bench-"))
    try:
        figures = run(folder, args.datasets, args.database_url, [f for f in args.formats.split(",") if f])
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    if args.json:
        print(json.dumps(figures))
        return
    n = figures["datasets"]
    print(f"catalogue: {n} datasets, {figures['bytes'] / 1e6:.1f} MB Turtle")
    print(f"parse alone:  {figures['parse_s']:.2f} s ({n / figures['parse_s']:.0f} datasets/s)")
    print(
        f"harvest:      {figures['harvest_s']:.2f} s ({figures['harvest_rate']:.0f} entries/s, "
        f"{figures['harvest_s'] / figures['parse_s']:.2f}× parse)  [target ≥ 300/s, ≤ 3×]"
    )
    print(
        f"  of which load+parse {figures['load_s']:.2f} s, read {figures['read_s']:.2f} s, "
        f"write {figures['write_s']:.2f} s; counts {figures['counts']}"
    )
    print(
        f"CPU:          parse {figures['parse_cpu_s']:.2f} s, harvest {figures['harvest_cpu_s']:.2f} s "
        f"({n / figures['harvest_cpu_s']:.0f} entries per CPU second, "
        f"{figures['harvest_cpu_s'] / figures['parse_cpu_s']:.2f}× parse); "
        f"load average {' '.join(f'{x:.1f}' for x in figures['load_average'])}"
    )
    print(
        f"re-harvest:   {figures['reharvest_s']:.2f} s ({figures['reharvest_rate']:.0f} entries/s)"
        f"  [target ≥ 1,000/s]; counts {figures['recounts']}"
    )
    for export in figures["exports"]:
        print(
            f"export {export['format']:6} {export['seconds']:.2f} s ({export['entries']} entries, "
            f"{export['entries'] / export['seconds']:.0f}/s), CPU {export['cpu_seconds']:.2f} s, "
            f"{export['megabytes']:.1f} MB, {export['cpu_seconds'] / figures['parse_cpu_s']:.2f}× parse CPU"
        )


def run(folder: Path, count: int, database_url: str, formats: list[str]) -> dict[str, Any]:
    """The measurements of one run in ``folder``."""
    os.environ["TILLIT_INSTANCE_PATH"] = str(folder / "instance")
    if database_url:
        os.environ["TILLIT_DATABASE_URL"] = database_url
    from rdflib import Graph

    from api.app import create_app
    from catalogue.compose import entry_service
    from catalogue.migrate import upgrade
    from catalogue.services.agencies import AgencyService
    from catalogue.services.entries import EntryService
    from catalogue.services.reviews import ReviewService
    from dcat.harvest.running import DeferredIndexer, HarvestRun
    from dcat.harvest.sources import HarvestLimits
    from security.identity import system_identity

    source = folder / "catalogue.ttl"
    generate(source, count)
    started, cpu = time.perf_counter(), time.process_time()
    Graph().parse(source, format="turtle")
    parse_s, parse_cpu = time.perf_counter() - started, time.process_time() - cpu

    app = create_app()
    ext = app.extensions["tillit"]
    upgrade(ext.engine)
    with ext.sessions() as session:
        orgnr, country, name = AGENCY
        AgencyService(session, ext.scheme).create(
            system_identity(ext.scheme),
            {"orgnr": orgnr, "country": country, "name": name, "clearance": "sensitive"},
        )

    def harvest() -> tuple[dict[str, float], dict[str, int]]:
        # Built as ``tillit harvest`` builds it (api/cli/harvest.py): batches of savepoints,
        # the index nudged once at the end (its drain is inside the time measured).
        indexer = DeferredIndexer(ext.indexer)

        def build(on: Any) -> tuple[EntryService, ReviewService]:
            entries = entry_service(
                on, ext.scheme, indexer, ext.anchor, ext.review_intervals, openapi_later=True
            )
            return entries, ReviewService(entries)

        with ext.sessions() as session:
            entries, reviews = build(session)
            run = HarvestRun(
                entries,
                reviews,
                ext.outbound,
                HarvestLimits(),
                build=build,
                anchor=ext.anchor,
                indexer=indexer,
            )
            t0, c0 = time.perf_counter(), time.process_time()
            loaded = run.load(str(source), AGENCY[0], "dcat-ap-se")
            t1 = time.perf_counter()
            records = run.read(loaded, "dcat-ap-se")
            t2 = time.perf_counter()
            report = run.write(AGENCY[0], loaded, records)
            t3, c3 = time.perf_counter(), time.process_time()
        times = {"load": t1 - t0, "read": t2 - t1, "write": t3 - t2, "total": t3 - t0, "cpu": c3 - c0}
        return times, report.counts

    first, counts = harvest()
    second, recounts = harvest()
    exports = [export(ext, fmt, folder / f"export.{fmt}") for fmt in formats]
    ext.engine.dispose()
    return {
        "datasets": count,
        "bytes": source.stat().st_size,
        "parse_s": parse_s,
        "parse_cpu_s": parse_cpu,
        "harvest_s": first["total"],
        "harvest_cpu_s": first["cpu"],
        "harvest_rate": count / first["total"],
        "load_s": first["load"],
        "read_s": first["read"],
        "write_s": first["write"],
        "counts": counts,
        "reharvest_s": second["total"],
        "reharvest_rate": count / second["total"],
        "reharvest_cpu_s": second["cpu"],
        "load_average": os.getloadavg(),
        "exports": exports,
        "recounts": recounts,
    }


def export(ext: Any, fmt: str, out: Path) -> dict[str, Any]:
    """The harvested catalogue exported whole in ``fmt``, page by page (as ``GET
    /api/v1/dcat/catalog?page=N`` and bench/export.py), by a reader of the publisher
    cleared for every level (its entries in review are listed to it)."""
    from api.wiring import Services
    from dcat.export import serialise
    from dcat.terms import PROFILES
    from security.identity import build_identity

    top = ext.scheme.enabled_keys[-1]
    identity = build_identity(
        ext.scheme, kind="client", subject="harvest-bench", agency=AGENCY[0], scopes=[f"catalogue:read:{top}"]
    )
    entries = written = 0
    started, cpu = time.perf_counter(), time.process_time()
    with ext.sessions() as session, out.open("wb") as sink:
        for page in Services(ext, session).dcat.pages(identity, per_page=100, profile=PROFILES["dcat-ap"]):
            body = serialise(page.graph, fmt)
            sink.write(body)
            written += len(body)
            entries += min(page.per_page, page.total - (page.page - 1) * page.per_page)
    return {
        "format": fmt,
        "entries": entries,
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu,
        "megabytes": written / 1e6,
    }


if __name__ == "__main__":
    main()
