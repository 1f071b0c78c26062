"""The OpenAPI document tells the truth: schemathesis, every check, against the WSGI app.

No server and no network: schemathesis reads /api/v1/openapi.json from the app
(``schemathesis.openapi.from_wsgi``) and calls the app in-process. Each role is one
test over every operation of the demo catalogue, with valid and invalid generated
requests (a bounded number per operation), and ids of real entries, reviews and
agencies mixed in so that answers other than 404 are checked too. Every check is
on; the only setting is which refusals a valid-by-document request may get
(``ACCEPTABLE_REFUSALS``). All failures are collected and reported together, by check.

schemathesis's own lazy pytest fixture (``schemathesis.pytest.from_fixture``) does not
run under pytest 9.2 (it sets ``Function._nodeid``), so the operations are driven
here with its strategies and checks (docs/openapi.md).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup
from sqlalchemy import select

from catalogue.models import Entry, Review
from tests.agencies import SKATTEVERKET
from tests.conftest import copy_demo

#: Generated requests per operation and mode, per role: the whole file stays near a minute.
MAX_EXAMPLES = 4

#: A valid request may still be refused for what the document cannot say: a token
#: without the right (401/403), an id that does not exist or is hidden (404), a state
#: (409), a made-up ETag (412), a rule across fields or against the database (422).
ACCEPTABLE_REFUSALS = ["2xx", "304", "401", "403", "404", "409", "412", "422", "428"]

ROLES: dict[str, tuple[str, tuple[str, ...]] | None] = {
    "anonymous": None,
    "reader": ("sensitive", ()),
    "writer": ("internal", ("catalogue:write",)),
    "officer": ("sensitive", ("catalogue:review", "catalogue:write")),
    "auditor": ("sensitive", ("catalogue:audit",)),
    "admin": ("public", ("catalogue:admin",)),
}


@pytest.fixture
def app_settings(app_settings, demo_on_test_agencies):
    """Each role's app holds the demo catalogue: a copy of the template (the requests write)."""
    return copy_demo(demo_on_test_agencies, app_settings)


@pytest.fixture
def demo_app(app):
    return app


def _known_ids(app) -> dict[str, list[str]]:
    ext = app.extensions["tillit"]
    with ext.sessions() as session:
        entries = session.scalars(select(Entry.id).order_by(Entry.id).limit(12)).all()
        reviews = session.scalars(select(Review.id).order_by(Review.id).limit(4)).all()
    return {"entry_id": list(entries), "review_id": list(reviews), "orgnr": [SKATTEVERKET, "974761076"]}


def _strategy(operation: Any, known: dict[str, list[str]]) -> st.SearchStrategy[Any]:
    """Valid and invalid requests; for a path with an id, also requests naming a real one."""
    modes = [operation.as_strategy(generation_mode=mode) for mode in GenerationMode]
    names = [p.name for p in operation.path_parameters]
    if names and all(name in known for name in names):
        real = st.fixed_dictionaries({name: st.sampled_from(known[name]) for name in names})
        modes.append(real.flatmap(lambda values: operation.as_strategy(path_parameters=values)))
    return st.one_of(modes)


@pytest.mark.parametrize("role", list(ROLES))
def test_every_operation_answers_as_documented(demo_app, token_for, role):
    level, extra = ROLES[role] or (None, ())
    headers = token_for(level, agency=SKATTEVERKET, extra=extra) if ROLES[role] else {}
    config = SchemathesisConfig.from_dict(
        {"checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTABLE_REFUSALS}}}
    )
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", demo_app, config=config)
    known = _known_ids(demo_app)
    failures: dict[str, set[str]] = defaultdict(set)
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(
            max_examples=MAX_EXAMPLES * 2,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            derandomize=True,
        )
        @given(case=_strategy(operation, known))
        def run(case: Any) -> None:
            try:
                case.call_and_validate(headers=headers)
            except FailureGroup as group:
                for failure in group.exceptions:
                    failures[failure.title].add(f"{operation.label}: {str(failure.message)[:300]}")

        run()
    assert operations >= 25
    report = "\n".join(
        f"{title} ({len(seen)}):\n  " + "\n  ".join(sorted(seen)[:8]) for title, seen in failures.items()
    )
    assert not failures, f"schemathesis, {role}:\n{report}"
