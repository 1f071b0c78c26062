"""Tillit's authorization server: the application that creates identities.

It issues and revokes tokens (Authlib's ``AuthorizationServer`` with its grants,
``server`` and the modules it names), signs people in (``login``: a password, or
delegated OpenID Connect in ``oidc_login`` / ``oidc_providers``), limits the rate
of both (``ratelimit``), and holds the services that create and change identities:
people, clients, tokens and the security events about them (``services``).

Layers: ``api -> authserver | search -> catalogue -> security``. ``authserver``
and ``search`` sit side by side and never import each other; ``api`` wires this
package into the app (``init_oauth``, ``init_login``, ``init_rate_limits``) and
keeps the *resource* side of OAuth (``api/auth.py``: a bearer token becomes the
caller's identity, ``require_scope``), which every API view needs and which only
reads tokens this package signed. The database schema of accounts, clients and
tokens stays in ``catalogue/models_auth.py`` with the migrations: one schema, one
owner.
"""
