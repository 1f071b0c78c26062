"""DCAT-AP export throughput: the whole catalogue, page by page, in each format.

    .venv/bin/python bench/export.py                 # 10,000 datasets, SQLite in a temp folder
    .venv/bin/python bench/export.py --entries 2000 --formats ttl --json

The catalogue is bench/api.py's (``prepare``: 10,000 published datasets bulk-inserted
through the API's schema; 60 % public, 25 % internal, 15 % sensitive; legal bases,
distributions, themes). The export is ``DcatExport.pages`` (dcat/export.py), exactly what
``GET /api/v1/dcat/catalog?page=N`` runs per page, as a reader with sensitive clearance
(every entry whole; the internal and sensitive ones are audited reads, as over HTTP),
each page serialised and written to a file before the next is read: the streamed
export a harvester's walk over the Hydra pages makes. Reported per format: seconds,
entries/s, bytes, and the process's peak RSS (ru_maxrss) before the first export and
after each, so bounded memory shows as an RSS that does not grow with the catalogue.
Target (issue 18): Turtle of 10,000 entries in under 20 s. Exit status 1 when missed.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    # As bench/api.py: this folder first on sys.path would shadow the project's ``api``.
    _HERE = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
    sys.path.insert(0, str(_HERE.parent))

import argparse
import importlib.util
import json
import platform
import resource
import shutil
import tempfile
import time
from typing import Any

TARGET_TURTLE_SECONDS = 20.0


def _bench_api() -> Any:
    """bench/api.py as a module (its catalogue generator), without shadowing ``api``."""
    spec = importlib.util.spec_from_file_location("bench_api", Path(__file__).with_name("api.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_api"] = module
    spec.loader.exec_module(module)
    return module


def peak_rss_mb() -> float:
    """The process's peak resident set size so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def export_once(app: Any, fmt: str, per_page: int, out: Path, reader: str) -> dict[str, Any]:
    """One whole export in ``fmt`` to ``out``; its figures."""
    from api.wiring import Services
    from dcat.export import serialise
    from dcat.terms import PROFILES
    from security.identity import anonymous_identity, build_identity

    bench = sys.modules["bench_api"]
    ext = app.extensions["tillit"]
    if reader == "anonymous":
        identity = anonymous_identity(ext.scheme)
    else:
        identity = build_identity(
            ext.scheme, kind="client", subject="export-bench", agency=bench.AGENCY[0], scopes=[bench.SCOPE]
        )
    entries = pages = written = 0
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    with ext.sessions() as session, out.open("wb") as sink:
        export = Services(ext, session).dcat
        for page in export.pages(identity, per_page=per_page, profile=PROFILES["dcat-ap"]):
            body = serialise(page.graph, fmt)
            sink.write(body)
            written += len(body)
            entries += min(page.per_page, page.total - (page.page - 1) * page.per_page)
            pages += 1
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu_seconds = (after.ru_utime - cpu.ru_utime) + (after.ru_stime - cpu.ru_stime)
    return {
        "format": fmt,
        "entries": entries,
        "pages": pages,
        "seconds": round(seconds, 2),
        "entries_per_second": round(entries / seconds, 1),
        # CPU time of this process: on a shared machine the wall clock also counts others' work.
        "cpu_seconds": round(cpu_seconds, 2),
        "megabytes": round(written / 1e6, 1),
        "peak_rss_mb_after": round(peak_rss_mb(), 1),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--formats", default="ttl,jsonld,rdf", help="comma-separated: ttl, jsonld, rdf")
    parser.add_argument("--per-page", type=int, default=100)
    parser.add_argument(
        "--reader",
        choices=("sensitive", "anonymous"),
        default="sensitive",
        help="sensitive: every entry whole, 40 %% of reads audited; anonymous: public 60 %%, none audited",
    )
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    bench = _bench_api()
    folder = Path(tempfile.mkdtemp(prefix="tillit-export-bench-"))
    try:
        instance = folder / "instance"
        instance.mkdir()
        catalogue = bench.prepare(instance, None, args.entries, "https://tillit.example.se")
        from api.app import create_app

        app = create_app()
        rss_before = round(peak_rss_mb(), 1)
        results = [
            export_once(app, fmt, args.per_page, folder / f"catalog.{fmt}", args.reader)
            for fmt in args.formats.split(",")
        ]
        ext = app.extensions["tillit"]
        if ext.read_log.writer is not None:
            ext.read_log.writer.close()
        ext.engine.dispose()
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"{args.entries} datasets loaded in {catalogue.load_seconds:.1f} s; peak RSS {rss_before} MB")
    header = ("format", "entries", "seconds", "cpu s", "entries/s", "MB", "peak RSS MB")
    print("{:8} {:>8} {:>8} {:>7} {:>10} {:>7} {:>12}".format(*header))
    for r in results:
        print(
            f"{r['format']:8} {r['entries']:8d} {r['seconds']:8.2f} {r['cpu_seconds']:7.2f} "
            f"{r['entries_per_second']:10.1f} {r['megabytes']:7.1f} {r['peak_rss_mb_after']:12.1f}"
        )
    turtle = next((r for r in results if r["format"] == "ttl"), None)
    met = turtle is None or args.entries != 10_000 or turtle["seconds"] < TARGET_TURTLE_SECONDS
    if turtle is not None:
        print(f"Turtle target (< {TARGET_TURTLE_SECONDS:.0f} s for 10,000): {'met' if met else 'MISSED'}")
    if args.json:
        summary = {
            "entries": args.entries,
            "per_page": args.per_page,
            "peak_rss_mb_before": rss_before,
            "results": results,
            "machine": platform.platform(),
            "python": platform.python_version(),
        }
        print(json.dumps(summary, indent=2))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
