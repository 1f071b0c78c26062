"""Settings. Every one can be set by an environment variable ``TILLIT_<NAME>``
(Flask's ``from_prefixed_env``); the README documents each with its default."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Config

from authserver.services.tokens import FAMILY_LIFETIME

DEFAULTS: dict[str, Any] = {
    # Folder for the embedded default: SQLite file, search index, signing keys.
    "INSTANCE_PATH": "instance",
    # SQLAlchemy URL; empty means a SQLite file in the instance folder.
    "DATABASE_URL": "",
    # Database connections each process keeps open. At least the server's threads
    # per worker plus two (the audit writer, the revocation reload); connections
    # beyond it are opened and closed per request, which costs more than the query.
    "DATABASE_POOL_SIZE": 16,
    # Who writes the audit events of reads: "thread" (a request thread of the web
    # process, in turn) or "process" (a child process of its own; `tillit serve`
    # uses it). Either way a read is answered only once its event is durable.
    "AUDIT_WRITER": "thread",
    # Who writes the embedded search index: "inline" (the process that made the change;
    # one process per instance folder) or "process" (an index writer process of its own,
    # search/writer.py, which `tillit serve` starts: any number of workers then search it).
    "INDEX_WRITER": "inline",
    # Seconds a process may go on searching its view of the embedded index after the
    # writer committed new or changed documents (removed ones count before the next
    # search, and the worker that made a change sees it at once).
    "INDEX_REFRESH": 0.5,
    # Answers of the embedded engine each process keeps for the view of the index it
    # reads, dropped at every reload (search/result_cache.py); 0 keeps none.
    "SEARCH_CACHE": 256,
    # Seconds an entry's head (its classification, listing level, status, revision)
    # may be kept in memory for reads of that entry; any change made through Tillit,
    # in any process sharing the instance folder, ends it at once (catalogue/machinery/readpath/heads.py).
    # Empty: 5 on SQLite, 0 (off) on other databases, whose servers may be on several machines.
    "HEAD_CACHE_SECONDS": "",
    # Elasticsearch URL; empty means the embedded search engine.
    "ELASTICSEARCH_URL": "",
    # Prefix of every Elasticsearch index, alias and template name.
    "ELASTICSEARCH_INDEX_PREFIX": "tillit-entries",
    # The authorization server's issuer identifier (its public base URL).
    "ISSUER": "http://127.0.0.1:5000",
    # The audience of access tokens for this API; empty means ISSUER + "/api/v1".
    "AUDIENCE": "",
    # Access-token lifetime in seconds (at most 300).
    "ACCESS_TOKEN_LIFETIME": 300,
    # Clock leeway in seconds when checking exp/nbf/iat.
    "TOKEN_LEEWAY": 30,
    # Seconds between reloads of the revoked-token list from the database, and
    # between looks at the signing-key file. A revocation (or a key rotation or
    # retirement) counts at once in the process that made it; other processes
    # (gunicorn workers, the CLI, other machines) see it within this time. 0: every request.
    "REVOCATION_SYNC_SECONDS": 1.0,
    # Path to a JSON classification scheme; empty means the default scheme.
    "CLASSIFICATION_SCHEME": "",
    # Largest accepted request body in bytes.
    "MAX_CONTENT_LENGTH": 4 * 1024 * 1024,
    # Largest uploaded OpenAPI document (compact JSON, bytes; 413 above) and its most
    # operations (422 above). Within MAX_CONTENT_LENGTH, which bounds the whole body.
    "OPENAPI_MAX_BYTES": 1024 * 1024,
    "OPENAPI_MAX_OPERATIONS": 500,
    # Seconds of wall-clock time the validator (a child process) may take over one
    # document; past it the document is refused (422) and the child killed.
    "OPENAPI_VALIDATION_SECONDS": 5.0,
    # Largest page size for collections and search.
    "MAX_PER_PAGE": 100,
    # Days until an entry's classification is due for review again, per level
    # (JSON object); levels not named keep the defaults (internal 730, sensitive 365).
    "REVIEW_INTERVALS": "",
    # Outgoing e-mail for notifications; empty SMTP_HOST means no e-mail.
    "SMTP_HOST": "",
    "SMTP_PORT": 25,
    "SMTP_USERNAME": "",
    "SMTP_PASSWORD": "",
    "SMTP_STARTTLS": False,
    "MAIL_FROM": "tillit@localhost",
    # Signs the login form's CSRF token; empty means one generated into the instance folder.
    "SECRET_KEY": "",
    # Rate limits (Flask-Limiter syntax) on /oauth/token per client and on login per account.
    "RATE_LIMIT_TOKEN": "60/minute",
    "RATE_LIMIT_LOGIN": "10/minute",
    # Failed password logins per client address, whatever the user name (an agency's NAT
    # shares it; successful logins do not count).
    "RATE_LIMIT_LOGIN_ADDRESS": "30/minute",
    # Refused /oauth/token requests per client address (unknown clients, bad credentials).
    "RATE_LIMIT_TOKEN_REFUSALS": "30/minute",
    # Rate limit on delegated login (start and callback), per provider and client address.
    "RATE_LIMIT_OIDC_LOGIN": "30/minute",
    # Reverse proxies in front of Tillit whose X-Forwarded-For is trusted (0: none; the
    # client address is the connection's, and the header is ignored).
    "TRUSTED_PROXIES": 0,
    # Origins of browser apps allowed to call the API, the token, revocation and
    # introspection endpoints, the JWKS and the metadata (CORS; comma-separated
    # scheme://host[:port], or * for any). Empty: no CORS headers. Never with credentials.
    "CORS_ORIGINS": "",
    # Deepest nesting of arrays and objects accepted in a JSON request body.
    "MAX_JSON_DEPTH": 64,
    # Where rate-limit counters live: memory:// (per process) or e.g. redis://host:6379.
    "RATELIMIT_STORAGE_URI": "memory://",
    # JSON list of trusted external token issuers; see docs/security.md.
    "TRUSTED_ISSUERS": "",
    # Agencies' OpenID Connect providers people may sign in at: a JSON list, or the
    # path of a .json or .toml file; empty means none. See the README.
    "OIDC_PROVIDERS": "",
    # Offer the local password form on the login page (false: providers only).
    "PASSWORD_LOGIN": True,
    # Requests Tillit makes on someone's behalf (webhooks, OpenID Connect; security/outbound.py):
    # hosts that may be plain http and loopback (development and tests only; space or comma
    # separated), seconds for the whole request, largest body, redirects followed, and a PEM
    # file of CA certificates trusted besides certifi's (e.g. an internal CA; empty: none).
    "OUTBOUND_HTTP_HOSTS": "",
    "OUTBOUND_TIMEOUT_SECONDS": 10,
    "OUTBOUND_MAX_BYTES": 1_000_000,
    "OUTBOUND_MAX_REDIRECTS": 3,
    "OUTBOUND_CA_BUNDLE": "",
    # Four eyes on access requests: the officer who assessed a request does not decide it,
    # when the providing agency has more than one security officer (docs/access.md).
    "ACCESS_FOUR_EYES": True,
    # DCAT-AP export (dcat/, docs/dcat.md): which EU access right (PUBLIC, RESTRICTED,
    # NON_PUBLIC) each classification level is exported as, a JSON object of level keys;
    # empty: {"public": "PUBLIC", "internal": "RESTRICTED"}, every other level NON_PUBLIC.
    "DCAT_ACCESS_RIGHTS": "",
    # The organisation number of the agency that runs this Tillit: the DCAT-AP catalogue's
    # publisher. Empty: an agent named "Tillit" at TILLIT_ISSUER.
    "DCAT_PUBLISHER": "",
    # DCAT harvest (dcat/harvest/, docs/harvest.md): the largest page (or file) read, in
    # bytes, the seconds a page may take to arrive, and the most pages one source may have.
    "HARVEST_MAX_BYTES": 50_000_000,
    "HARVEST_TIMEOUT_SECONDS": 60,
    "HARVEST_MAX_PAGES": 200,
    # OpenAPI documents given by URL are fetched again by `tillit harvest openapi-due`
    # once their copy is older than this many hours (catalogue/services/openapi_refresh.py).
    "OPENAPI_REFRESH_HOURS": 24,
    # The web pages' sign-in session (api/web/session.py): it ends after this many seconds
    # without a page, and this many seconds after sign-in whatever the use.
    "WEB_SESSION_IDLE_SECONDS": 30 * 60,
    "WEB_SESSION_MAX_SECONDS": 8 * 3600,
    # A person's refresh-token family (one sign-in through an app) is refused this many
    # seconds after the sign-in, however often it is refreshed (authserver/services/tokens.py).
    "REFRESH_FAMILY_MAX_SECONDS": int(FAMILY_LIFETIME.total_seconds()),
}


def load_settings(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Defaults, then ``TILLIT_*`` environment variables, then ``overrides``."""
    config = Config(os.getcwd())
    config.update(DEFAULTS)
    config.from_prefixed_env("TILLIT")
    if overrides:
        config.update(overrides)
    instance = Path(config["INSTANCE_PATH"]).resolve()
    config["INSTANCE_PATH"] = str(instance)
    if not config["DATABASE_URL"]:
        config["DATABASE_URL"] = f"sqlite:///{instance / 'tillit.db'}"
    if not config["AUDIENCE"]:
        config["AUDIENCE"] = config["ISSUER"].rstrip("/") + "/api/v1"
    if config["AUDIT_WRITER"] not in ("thread", "process"):
        raise ValueError('TILLIT_AUDIT_WRITER must be "thread" or "process".')
    if config["INDEX_WRITER"] not in ("inline", "process"):
        raise ValueError('TILLIT_INDEX_WRITER must be "inline" or "process".')
    try:
        config["INDEX_REFRESH"] = float(config["INDEX_REFRESH"])
    except (TypeError, ValueError):
        raise ValueError("TILLIT_INDEX_REFRESH must be a number of seconds.") from None
    if not 0 <= config["INDEX_REFRESH"] <= 60:
        raise ValueError("TILLIT_INDEX_REFRESH must be between 0 and 60.")
    if (
        isinstance(config["SEARCH_CACHE"], bool)
        or not isinstance(config["SEARCH_CACHE"], int)
        or not (0 <= config["SEARCH_CACHE"] <= 100_000)
    ):
        raise ValueError("TILLIT_SEARCH_CACHE must be a whole number between 0 and 100000.")
    if config["HEAD_CACHE_SECONDS"] in ("", None):
        config["HEAD_CACHE_SECONDS"] = 5.0 if config["DATABASE_URL"].startswith("sqlite") else 0.0
    try:
        config["HEAD_CACHE_SECONDS"] = float(config["HEAD_CACHE_SECONDS"])
    except (TypeError, ValueError):
        raise ValueError("TILLIT_HEAD_CACHE_SECONDS must be a number of seconds.") from None
    if not 0 <= config["HEAD_CACHE_SECONDS"] <= 3600:
        raise ValueError("TILLIT_HEAD_CACHE_SECONDS must be between 0 and 3600.")
    if not isinstance(config["ACCESS_FOUR_EYES"], bool):
        raise ValueError("TILLIT_ACCESS_FOUR_EYES must be true or false.")
    try:
        family = int(config["REFRESH_FAMILY_MAX_SECONDS"])
    except (TypeError, ValueError):
        raise ValueError("TILLIT_REFRESH_FAMILY_MAX_SECONDS must be a whole number of seconds.") from None
    if not 60 <= family <= 366 * 86400:
        raise ValueError("TILLIT_REFRESH_FAMILY_MAX_SECONDS must be between 60 and 31622400 (366 days).")
    lifetime = int(config["ACCESS_TOKEN_LIFETIME"])
    if not 0 < lifetime <= 300:
        raise ValueError("TILLIT_ACCESS_TOKEN_LIFETIME must be between 1 and 300 seconds.")
    return dict(config)
