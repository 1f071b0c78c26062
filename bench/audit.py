"""What auditing a read costs, with 100,000 events already in the log.

Every read of an entry above the lowest level appends a hash-chained audit event
in a transaction of its own (a write and a durable commit). This benchmark reads
the same sensitive entries through the full HTTP request path (Flask test client,
real bearer token) with auditing as shipped, and with the audit append switched
off in this process only, and reports p50/p95/p99 latency and the difference.
It also times ``verify`` over the whole chain.

    python bench/audit.py                      # SQLite (WAL, synchronous=FULL)
    python bench/audit.py --events 100000 --reads 2000
    python bench/audit.py --database-url postgresql://postgres@127.0.0.1:5432/empty_db
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    _HERE = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
    sys.path.insert(0, str(_HERE.parent))

import argparse
import base64
import os
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.api import prepare


def fill_log(engine: Any, count: int, entry_ids: list[str]) -> float:
    """Append ``count`` chained events in bulk (hashes computed exactly as the app does)."""
    import click
    from sqlalchemy import insert, select

    from catalogue.machinery.audit.chain import GENESIS, event_hash
    from catalogue.models import AuditEvent

    started = time.perf_counter()
    with engine.connect() as conn:
        head = conn.execute(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc())).first()
    seq, prev = (head[0], head[1]) if head else (0, GENESIS)
    at = datetime.now(UTC) - timedelta(days=30)
    batch: list[dict[str, Any]] = []
    with click.progressbar(length=count, label="Filling the audit log", file=sys.stderr) as bar:
        for n in range(count):
            seq += 1
            event = AuditEvent(
                seq=seq, at=at + timedelta(seconds=n), action="entry.read", decision="allow",
                actor=f"client-{n % 97}", actor_agency="202100-5448", client_id=f"client-{n % 97}",
                address="127.0.0.1", entry_id=entry_ids[n % len(entry_ids)], entry_agency="202100-5448",
                entry_level="sensitive", details={"view": "full"}, prev_hash=prev,
            )  # fmt: skip
            event.hash = prev = event_hash(event)
            batch.append({c.key: getattr(event, c.key) for c in AuditEvent.__table__.columns})
            if len(batch) == 5000:
                with engine.begin() as conn:
                    conn.execute(insert(AuditEvent.__table__), batch)
                bar.update(len(batch))
                batch = []
        if batch:
            with engine.begin() as conn:
                conn.execute(insert(AuditEvent.__table__), batch)
            bar.update(len(batch))
    return time.perf_counter() - started


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "mean": statistics.fmean(ordered) * 1000}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python bench/audit.py",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--events", type=int, default=100_000, help="Events in the log before measuring.")
    parser.add_argument("--reads", type=int, default=2000, help="Reads measured per variant.")
    parser.add_argument("--entries", type=int, default=2000, help="Entries in the catalogue.")
    parser.add_argument("--database-url", default=None, help="An EMPTY throw-away database (default SQLite).")
    args = parser.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="tillit-bench-audit-"))
    try:
        catalogue = prepare(folder / "instance", args.database_url, args.entries, "http://127.0.0.1")
        from api.app import create_app
        from catalogue.machinery.audit.chain import verify_chain
        from catalogue.services.entry_reading import EntryReader

        app = create_app()
        ext = app.extensions["tillit"]
        sensitive = [i for i in catalogue.entry_ids if catalogue.levels[i] == "sensitive"][:500]
        fill_seconds = fill_log(ext.engine, args.events, sensitive)
        client = app.test_client()
        basic = base64.b64encode(f"{catalogue.client_id}:{catalogue.client_secret}".encode()).decode()
        token = client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic}"},
        ).json["access_token"]
        headers = {"Authorization": f"Bearer {token}"}

        def run(reads: int) -> list[float]:
            samples = []
            for n in range(reads):
                started = time.perf_counter()
                response = client.get(f"/api/v1/datasets/{sensitive[n % len(sensitive)]}", headers=headers)
                samples.append(time.perf_counter() - started)
                assert response.status_code == 200 and response.json["redacted"] is False
            return samples

        run(200)  # warm-up: caches, statement cache, pages
        audited = run(args.reads)
        original = EntryReader.audit_reads
        EntryReader.audit_reads = lambda self, identity, views: None  # type: ignore[method-assign]
        try:
            run(200)
            plain = run(args.reads)
        finally:
            EntryReader.audit_reads = original  # type: ignore[method-assign]
        audited_again = run(args.reads)  # interleave, so drift shows

        with ext.sessions() as session:
            started = time.perf_counter()
            result = verify_chain(session, ext.anchor)
            verify_seconds = time.perf_counter() - started
        ext.engine.dispose()

        a = percentiles(audited + audited_again)
        p = percentiles(plain)
        db = args.database_url.split("@")[-1] if args.database_url else "SQLite (WAL, synchronous=FULL)"
        print(
            f"\nDatabase: {db}; {args.events:,} events bulk-appended in {fill_seconds:.1f} s; "
            f"{args.reads:,} reads of sensitive entries per variant, full HTTP request path in-process."
        )
        print(f"{'variant':<26}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'mean ms':>9}")
        for label, r in (("read, audited (shipped)", a), ("read, audit switched off", p)):
            print(f"{label:<26}{r['p50']:>9.2f}{r['p95']:>9.2f}{r['p99']:>9.2f}{r['mean']:>9.2f}")
        print(
            f"{'cost of auditing a read':<26}{a['p50'] - p['p50']:>9.2f}{a['p95'] - p['p95']:>9.2f}"
            f"{a['p99'] - p['p99']:>9.2f}{a['mean'] - p['mean']:>9.2f}   "
            f"(ratio of means {a['mean'] / p['mean']:.2f}x)"
        )
        print(
            f"verify: {result.checked:,} events in {verify_seconds:.1f} s "
            f"({result.checked / verify_seconds:,.0f} events/s), intact={result.ok}"
        )
        return 0 if result.ok else 1
    finally:
        os.environ.pop("TILLIT_INSTANCE_PATH", None)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
