"""The syntax of OAuth 2 request parameters (RFC 6749, Appendix A), checked before
Authlib reads them.

Authlib copies some of them (``redirect_uri``, ``response_type``) into error
descriptions, and so do our scope refusals; an error description may only hold
%x20-21 / %x23-5B / %x5D-7E, and Authlib raises ValueError (a 500) when it would
hold anything else. A value outside its grammar is refused here instead, as
``invalid_request``, and never redirected to.
"""

from __future__ import annotations

import re

from werkzeug.datastructures import MultiDict

_VSCHAR = r"[\x20-\x7e]"
#: RFC 3986 URI-reference characters, with well-formed percent-encoding.
_URI = r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*"

GRAMMAR: dict[str, re.Pattern[str]] = {
    name: re.compile(pattern)
    for name, pattern in {
        "client_id": f"{_VSCHAR}*",
        "response_type": r"[A-Za-z0-9_]+(?: [A-Za-z0-9_]+)*",
        "redirect_uri": _URI,
        # scope-tokens are NQCHAR (no '"' and no '\'), separated by spaces
        "scope": r"[\x20\x21\x23-\x5b\x5d-\x7e]*",
        "state": f"{_VSCHAR}*",
        "grant_type": _URI,  # a grant-name or an absolute URI
        "code": f"{_VSCHAR}*",
        "refresh_token": f"{_VSCHAR}*",
        "code_challenge_method": r"[A-Za-z0-9\-._~]*",
        "token_type_hint": r"[A-Za-z0-9\-._]*",
    }.items()
}


def malformed_parameter(values: MultiDict[str, str]) -> str | None:
    """The name of the first parameter with a value outside its grammar, or None."""
    for name, grammar in GRAMMAR.items():
        if any(not grammar.fullmatch(value) for value in values.getlist(name)):
            return name
    return None
