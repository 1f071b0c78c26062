"""The bulk verbs against the single ones: ``EntryService.create_many`` and
``ReviewService.submit_many`` (a harvest's new records) leave exactly the rows and audit
events that ``create`` and ``submit`` leave for the same input, refuse what they refuse
with the same errors (the refusal audited the same way), and write nothing of a refused item.

One difference by design: the officers' notifications. ``submit`` writes one per review;
``submit_many`` one digest per agency and level, and marks its reviews with the digest's
id (``_notices`` compares them; tests/unit/catalogue/test_review_digest.py the rest)."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from catalogue.compose import entry_service
from catalogue.db import Base, make_engine, make_session_factory
from catalogue.errors import CatalogueError, ValidationFailed
from catalogue.migrate import upgrade
from catalogue.models import Entry
from catalogue.schemas import ApiCreateSchema, DatasetCreateSchema
from catalogue.services.agencies import AgencyService
from catalogue.services.reviews import ReviewService
from security.identity import build_identity, system_identity
from security.levels import DEFAULT_SCHEME
from tests.factories import GDPR_TASK, OSL_TAX, api_payload, dataset_payload
from tests.unit.catalogue.conftest import AGENCY, LANTMATERIET, add_lantmateriet

OWNER = build_identity(
    DEFAULT_SCHEME,
    kind="client",
    subject="harvest:2021005448",
    client_id="harvest",
    agency=AGENCY,
    scopes=["catalogue:read:internal", "catalogue:write"],
)
NO_DATASET = "00000000-0000-4000-8000-000000000000"
#: Columns whose values differ between two runs by nature (times, the chain's hashes), and
#: by design (a bulk submission's digest id on its reviews: the module's docstring).
_UNCOMPARED = {"hash", "prev_hash", "digest"}
#: Compared by ``_notices`` instead: one per review one by one, a digest per level in bulk.
_NOTICES = "notifications"


def _database(folder: Path) -> sessionmaker[Session]:
    folder.mkdir()
    engine = make_engine(f"sqlite:///{folder / 'catalogue.db'}")
    upgrade(engine)
    factory = make_session_factory(engine)
    with factory() as session:
        AgencyService(session, DEFAULT_SCHEME).create(
            system_identity(DEFAULT_SCHEME),
            {"orgnr": AGENCY, "country": "SE", "name": {"sv": "Skatteverket"}, "clearance": "internal"},
        )
        add_lantmateriet(session)
    return factory


def _datasets() -> list[dict[str, Any]]:
    """Inputs as the API loads them: a refused publisher first (its refusal is audited
    before anything else either way), then good ones around a rule's refusal."""
    return [
        DatasetCreateSchema().load(p)
        for p in (
            dataset_payload(LANTMATERIET),
            dataset_payload(AGENCY, "public", title={"sv": "Ett"}),
            dataset_payload(AGENCY, "internal", title={"sv": "Två"}),
            dataset_payload(AGENCY, "internal", title={"sv": "Utan grund"}, legal_basis=[]),
            dataset_payload(
                AGENCY,
                "internal",
                title={"sv": "Personuppgifter"},
                contains_personal_data=True,
                legal_basis=[copy.deepcopy(OSL_TAX), copy.deepcopy(GDPR_TASK)],
                temporal={"start": "2020-01-01", "end": "2024-12-31"},
            ),
            dataset_payload(AGENCY, "sensitive", title={"sv": "Över klareringen"}),
        )
    ]


def _error(exc: CatalogueError) -> tuple[str, Any]:
    return type(exc).__name__, exc.errors if isinstance(exc, ValidationFailed) else str(exc)


def _one_by_one(session: Session, entry_type: str, items: list[dict[str, Any]]) -> list[Any]:
    reviews = ReviewService(entry_service(session, DEFAULT_SCHEME))
    answers: list[Any] = []
    for item in items:
        try:
            answers.append(reviews.entries.create(OWNER, entry_type, dict(item)).entry.id)
        except CatalogueError as exc:
            answers.append(_error(exc))
    for answer in answers:
        if isinstance(answer, str):
            reviews.submit(OWNER, answer, entry_type)
    return answers


def _together(session: Session, entry_type: str, items: list[dict[str, Any]]) -> list[Any]:
    reviews = ReviewService(entry_service(session, DEFAULT_SCHEME))
    created = reviews.entries.create_many(OWNER, entry_type, items)
    answers = [_error(a) if isinstance(a, CatalogueError) else a.id for a in created]
    submitted = reviews.submit_many(OWNER, [a for a in answers if isinstance(a, str)], entry_type)
    assert not [s for s in submitted if isinstance(s, CatalogueError)]
    return answers


def _notices(session: Session) -> list[tuple[str, str, str | None, int | None]]:
    """The officers' notifications: (kind, agency, level, count), sorted."""
    table = Base.metadata.tables[_NOTICES]
    rows = session.execute(select(table.c.kind, table.c.agency, table.c.level, table.c.count)).all()
    return sorted((kind, agency, level, count) for kind, agency, level, count in rows)


def _snapshot(session: Session, answers: list[Any]) -> dict[str, list[str]]:
    """Every table's rows (but the notifications: ``_notices``), each id of an entry or
    review written as its place, times left out."""
    session.commit()
    names: dict[str, str] = {a: f"entry-{i}" for i, a in enumerate(answers) if isinstance(a, str)}
    table = Base.metadata.tables["reviews"]
    reviews = session.execute(select(table.c.id, table.c.entry_id)).all()
    names.update({r: f"review-of-{names.get(e, e)}" for r, e in reviews})
    tables: dict[str, list[str]] = {}
    for name, table in Base.metadata.tables.items():
        if name == _NOTICES:
            continue
        rows = []
        for row in session.execute(select(table)).mappings():
            kept = {
                k: v for k, v in row.items() if k not in _UNCOMPARED and not isinstance(v, datetime | date)
            }
            text = json.dumps(kept, sort_keys=True, default=str)
            for real, label in names.items():
                text = text.replace(real, label)
            rows.append(text)
        tables[name] = sorted(rows)
    return tables


def test_create_many_and_submit_many_leave_what_create_and_submit_leave(tmp_path):
    single, bulk = _database(tmp_path / "single"), _database(tmp_path / "bulk")
    with single() as session:
        one_by_one = _one_by_one(session, "dataset", _datasets())
        expected = _snapshot(session, one_by_one)
        notices_one_by_one = _notices(session)
    with bulk() as session:
        together = _together(session, "dataset", _datasets())
        got = _snapshot(session, together)
        notices_together = _notices(session)

    written = [a for a in together if isinstance(a, str)]
    assert [isinstance(a, str) for a in one_by_one] == [isinstance(a, str) for a in together]
    assert [a for a in one_by_one if not isinstance(a, str)] == [
        a for a in together if not isinstance(a, str)
    ]
    refusals = [a[0] for a in together if not isinstance(a, str)]
    assert refusals == ["PermissionDenied", "ValidationFailed", "PermissionDenied"]
    assert len(written) == 3
    for table in expected:
        assert got[table] == expected[table], table
    # What the comparison covers: each entry's outbox rows and events, in the chain's order.
    events = [json.loads(e) for e in got["audit_events"]]
    assert sorted((e["seq"], e["action"], e["decision"]) for e in events) == [
        (1, "entry.create", "deny"),
        *[(2 + i, "entry.create", "allow") for i in range(3)],
        *[(5 + i, "review.submit", "allow") for i in range(3)],
    ]
    assert len(got["outbox"]) == 6 and len(got["reviews"]) == 3
    # One notification per review one by one; together, one per level of the written ones
    # (one public, two internal).
    assert notices_one_by_one == [("review.requested", AGENCY, None, None)] * 3
    assert notices_together == [
        ("reviews.requested", AGENCY, "internal", 2),
        ("reviews.requested", AGENCY, "public", 1),
    ]


def test_apis_serving_the_datasets_written_together(tmp_path):
    single, bulk = _database(tmp_path / "single"), _database(tmp_path / "bulk")
    results = []
    for factory, write in ((single, _one_by_one), (bulk, _together)):
        with factory() as session:
            datasets = write(session, "dataset", _datasets()[1:3])
            apis = [
                ApiCreateSchema().load(
                    api_payload(AGENCY, "public", title={"sv": "API"}, serves_datasets=datasets)
                ),
                ApiCreateSchema().load(
                    api_payload(AGENCY, "public", title={"sv": "Fel"}, serves_datasets=[NO_DATASET])
                ),
            ]
            answers = write(session, "api", apis)
            results.append((answers[1], _snapshot(session, datasets + answers), _notices(session)))
    (single_refusal, expected, single_notices), (bulk_refusal, got, bulk_notices) = results
    assert bulk_refusal == single_refusal and bulk_refusal[0] == "ValidationFailed"
    assert got == expected
    assert single_notices == [("review.requested", AGENCY, None, None)] * 3
    # Two bulk submissions (the datasets, then the API), each its own digest.
    assert bulk_notices == [
        ("reviews.requested", AGENCY, "internal", 1),
        ("reviews.requested", AGENCY, "public", 1),
        ("reviews.requested", AGENCY, "public", 1),
    ]
    assert len([r for r in got["served_datasets"]]) == 2


def test_a_refused_item_writes_nothing_and_the_others_commit(session):
    reviews = ReviewService(entry_service(session, DEFAULT_SCHEME))
    items = _datasets()[1:4]
    created = reviews.entries.create_many(OWNER, "dataset", items)
    assert isinstance(created[2], ValidationFailed) and "legal_basis" in created[2].errors
    titles = sorted(e.title["sv"] for e in session.scalars(select(Entry)))
    assert titles == ["Ett", "Två"]


def test_submit_many_refuses_what_submit_refuses(session):
    reviews = ReviewService(entry_service(session, DEFAULT_SCHEME))
    created = reviews.entries.create_many(OWNER, "dataset", _datasets()[1:3])
    ids = [e.id for e in created if isinstance(e, Entry)]
    first = reviews.submit_many(OWNER, [ids[0], ids[0], "no-such-entry"])
    assert not isinstance(first[0], CatalogueError)
    assert type(first[1]).__name__ == "Conflict" and type(first[2]).__name__ == "NotFound"
    stranger = build_identity(
        DEFAULT_SCHEME,
        kind="client",
        subject="stranger",
        client_id="stranger",
        agency=LANTMATERIET,
        scopes=["catalogue:read:internal", "catalogue:write"],
    )
    refused = reviews.submit_many(stranger, [ids[1]])
    assert isinstance(refused[0], CatalogueError)
    assert session.get(Entry, ids[1]).status == "draft"
