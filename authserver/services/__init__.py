"""The services that create identities: people, OAuth clients, tokens, and the
security events about them. Like catalogue's services they take a SQLAlchemy
session and decide authorization themselves (``security.policy``)."""
