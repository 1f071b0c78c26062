"""The gunicorn worker ``tillit serve`` runs: gunicorn's threaded worker, taking
connections in turn with the other workers (api/cli/balance.py), and answering
what gunicorn refuses before Tillit sees the request (a request line that is not
ASCII, an unknown method, a malformed header, too many headers).

gunicorn answers those with its own text/html page that quotes the refused part back
(escaped, but echoed all the same). Tillit's rule is that every bad input gets a
problem+json and nothing of the request is echoed, so this worker answers them with
a fixed problem whose status gunicorn chose and whose words come from Tillit. The
warning logged names the error's kind only, not what the client sent.

Only gunicorn imports this module (by name: ``tillit serve``'s configuration, and every
server of bench/api.py, so that Tillit and the bare endpoint are served alike).
"""

from __future__ import annotations

import json
import socket
from http import HTTPStatus
from typing import Any

from gunicorn.http import errors

from api.cli.balance import BalancedThreadWorker

#: The status gunicorn gives each refusal; anything it does not name is a 400.
STATUS = (
    (errors.LimitRequestLine, HTTPStatus.REQUEST_URI_TOO_LONG),
    (errors.LimitRequestHeaders, HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE),
    (errors.UnsupportedTransferCoding, HTTPStatus.NOT_IMPLEMENTED),
    (errors.ExpectationFailed, HTTPStatus.EXPECTATION_FAILED),
    (errors.ForbiddenProxyRequest, HTTPStatus.FORBIDDEN),
)


#: Parse errors that are not the client's: gunicorn answers them 500 with an empty message.
APPLICATION_FAULTS = (
    errors.InvalidResponseHeader,
    errors.InvalidResponseHeaderName,
    errors.ConfigurationProblem,
)


def _status(exc: BaseException) -> HTTPStatus:
    for kind, status in STATUS:
        if isinstance(exc, kind):
            return status
    return HTTPStatus.BAD_REQUEST


def problem(status: HTTPStatus) -> bytes:
    """The whole HTTP response for a request gunicorn could not read."""
    body = json.dumps(
        {
            "type": "about:blank",
            "title": status.phrase,
            "status": status.value,
            "detail": "The request could not be read as HTTP/1.1 (its request line, method or headers).",
        }
    ).encode()
    head = (
        f"HTTP/1.1 {status.value} {status.phrase}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/problem+json\r\n"
        "Cache-Control: no-store\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


class ProblemWorker(BalancedThreadWorker):
    def handle_error(self, req: Any, client: socket.socket, addr: Any, exc: BaseException) -> None:
        if not isinstance(exc, errors.ParseException) or isinstance(exc, APPLICATION_FAULTS):
            # the application's (or the configuration's) fault: gunicorn's 500, which echoes nothing
            super().handle_error(req, client, addr, exc)
            return
        status = _status(exc)
        self.log.warning("Refused a request gunicorn could not read: %s (%d)", type(exc).__name__, status)
        try:
            client.sendall(problem(status))
        except OSError:  # the client has gone: nothing to answer
            self.log.debug("The client went before its problem was sent")
