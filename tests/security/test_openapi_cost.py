"""Attack: burn a web process's CPU, and hold its GIL against every other request,
for tens of seconds with an OpenAPI document inside every size limit: thousands of
schemas that chain references (issue 13). Validation runs in a child process of its
own, cut off at TILLIT_OPENAPI_VALIDATION_SECONDS."""

from __future__ import annotations

import copy
import json
import multiprocessing
import os
import signal
import threading
import time
from typing import Any

import pytest
import requests

from catalogue.errors import Unavailable
from catalogue.machinery.children.calls import serve
from catalogue.machinery.children.openapi import (
    OpenAPILimits,
    check_openapi_document,
    operation_count,
    validation_problem,
    validator_process,
)
from tests.factories import MINIMAL_OPENAPI, api_payload
from tests.security.test_openapi_upload import refused, upload

WRITER = ("catalogue:write",)
#: Each schema refers to the one before: 773 kB as compact JSON, 200 operations, and
#: about 10 s of CPU to validate on the machine this was written on (24 s measured before).
CHAINED_SCHEMAS = 3000


def too_complex(seconds: str) -> str:
    return f"The OpenAPI document is too complex to validate within {seconds}; split or simplify it."


@pytest.fixture
def validation_seconds() -> float:
    return 1


@pytest.fixture
def app_settings(app_settings: dict[str, Any], validation_seconds: float) -> dict[str, Any]:
    return {**app_settings, "OPENAPI_VALIDATION_SECONDS": validation_seconds}


def chained_document(schemas: int = CHAINED_SCHEMAS) -> dict[str, Any]:
    ok = {"responses": {"200": {"description": "OK"}}}
    before = "#/components/schemas/S{}"
    return {
        "openapi": "3.1.0",
        "info": {"title": "Chained", "version": "1"},
        "paths": {f"/things{i}": {"get": ok} for i in range(200)},
        "components": {
            "schemas": {
                f"S{i}": {
                    "type": "object",
                    "properties": {f"p{j}": {"$ref": before.format(max(i - 1, 0))} for j in range(5)},
                }
                for i in range(schemas)
            }
        },
    }


def wait_until(condition, what: str) -> None:
    """Waits (no timing is asserted) for something another thread or process does."""
    for _ in range(600):
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"never happened: {what}")


def test_chained_references_within_every_limit_are_cut_off_with_422(client, token_for):
    doc = chained_document()
    assert len(json.dumps(doc, separators=(",", ":")).encode()) < 1024 * 1024
    assert operation_count(doc) <= 500
    assert refused(upload(client, token_for, doc)) == [too_complex("1 second")]
    # The child that was cut off was killed, not left running; the next upload gets a new one.
    assert upload(client, token_for, copy.deepcopy(MINIMAL_OPENAPI)).status_code == 201


@pytest.mark.parametrize("validation_seconds", [3])
def test_other_requests_are_answered_while_a_document_is_validated(app, token_for, server):
    reader = token_for("public")
    uploaded: dict[str, Any] = {}

    def upload_chained() -> None:
        response = requests.post(
            f"{server}/api/v1/apis",
            json=api_payload(openapi=chained_document()),
            headers=token_for("public", extra=WRITER),
            timeout=600,
        )
        uploaded["status"], uploaded["body"] = response.status_code, response.json()

    thread = threading.Thread(target=upload_chained)
    thread.start()
    statuses: list[int] = []
    answered_during_upload = 0
    with requests.Session() as http:
        while thread.is_alive():
            statuses.append(http.get(f"{server}/api/v1/datasets", headers=reader, timeout=60).status_code)
            if thread.is_alive():
                answered_during_upload += 1
    thread.join()
    assert uploaded["status"] == 422, uploaded["body"]
    assert uploaded["body"]["errors"] == {"openapi": [too_complex("3 seconds")]}
    assert answered_during_upload >= 1
    assert set(statuses) == {200}


def test_validation_in_the_child_gives_the_same_answers_as_in_process(client, token_for):
    broken = copy.deepcopy(MINIMAL_OPENAPI)
    del broken["info"]["version"]
    wrong_type = copy.deepcopy(MINIMAL_OPENAPI)
    wrong_type["paths"]["/inkomster/{id}"]["get"]["responses"] = []
    for doc in (broken, wrong_type):
        problem = validation_problem(doc)  # in this process
        assert problem is not None
        assert refused(upload(client, token_for, doc)) == [f"Not a valid OpenAPI document: {problem}"]
    created = upload(client, token_for, copy.deepcopy(MINIMAL_OPENAPI))
    assert created.status_code == 201, created.json


def test_a_busy_or_killed_validator_does_not_wedge_uploads(client, token_for):
    """Another caller holds the one validator process with a runaway document: an
    upload waits its deadline for it, then is told to come back (503); the busy child
    is killed under the caller (503 to it), and the next upload gets a new child."""
    assert upload(client, token_for, copy.deepcopy(MINIMAL_OPENAPI)).status_code == 201
    first = validator_process.pid
    assert first is not None and first != os.getpid()

    outcome: dict[str, Any] = {}

    def hold_the_validator() -> None:
        try:
            check_openapi_document(chained_document(), OpenAPILimits(validation_seconds=600))
        except Exception as exc:  # what the caller is told, checked below
            outcome["error"] = exc

    holder = threading.Thread(target=hold_the_validator)
    holder.start()
    wait_until(lambda: validator_process.busy, "the validator is busy")
    waiting = upload(client, token_for, copy.deepcopy(MINIMAL_OPENAPI))
    assert waiting.status_code == 503, waiting.json
    assert waiting.mimetype == "application/problem+json"
    assert waiting.headers["Retry-After"] == "1"
    assert waiting.json == {
        "type": "about:blank",
        "title": "Service Unavailable",
        "status": 503,
        "detail": "The OpenAPI validator is busy with other documents; try again shortly.",
    }

    busy = validator_process.pid
    assert busy is not None
    os.kill(busy, signal.SIGKILL)
    holder.join()
    assert isinstance(outcome.get("error"), Unavailable), outcome
    assert str(outcome["error"]) == "The OpenAPI validator stopped before it answered; try again shortly."

    after = upload(client, token_for, copy.deepcopy(MINIMAL_OPENAPI))
    assert after.status_code == 201, after.json
    assert validator_process.pid not in (None, busy)


def test_the_child_stops_itself_when_nobody_kills_it():
    """The second guard alone: a validator child whose web process went away mid-call
    (nobody will kill it) is stopped by the kernel at its CPU limit, the deadline plus
    a second, rather than running to the end of the document."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=serve, args=(child, validation_problem), daemon=True)
    process.start()
    child.close()
    try:
        assert parent.recv() == "ready"
        parent.send((chained_document(), 1))
        parent.close()  # gone: without the limit, the child would finish and then end (0)
        process.join(600)
        assert process.exitcode == -signal.SIGXCPU
    finally:
        process.kill()
        process.join()
