"""Signing keys for the built-in authorization server, kept in the instance folder.

The file holds a JWK set with private keys. The newest key signs; every key in
the file verifies, so tokens signed before a rotation stay valid until they expire.
A key that no longer signs is retired once every token it signed has expired.
The file is re-read when it changes, so a rotation by the CLI reaches running
servers without a restart (within ``TILLIT_REVOCATION_SYNC_SECONDS``: servers
look at the file at most that often).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from joserfc.jwk import KeySet, RSAKey

SIGNING_ALG = "RS256"
KEYS_FILE = "signing-keys.json"


class KeyStore:
    """``recheck_seconds``: how often the file is checked for changes made by other
    processes (a rotation or retirement by the CLI); changes through this object
    count at once. 0 checks on every use."""

    def __init__(self, path: Path, recheck_seconds: float = 0.0) -> None:
        self.path = path
        self.recheck_seconds = recheck_seconds
        self._keys: KeySet | None = None
        self._stamp: tuple[int, int] | None = None
        self._checked = 0.0

    @classmethod
    def in_folder(cls, folder: str | Path, recheck_seconds: float = 0.0) -> KeyStore:
        """The key store kept in ``folder`` (its KEYS_FILE)."""
        return cls(Path(folder) / KEYS_FILE, recheck_seconds)

    def _read(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        data = json.loads(self.path.read_text(encoding="utf-8"))
        keys: list[dict[str, Any]] = data.get("keys", [])
        return keys

    def _write(self, keys: list[dict[str, Any]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"keys": keys}, fh, indent=2)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
        self._keys = None

    def ensure(self) -> None:
        """Create a first signing key when the folder has none."""
        if not self._read():
            self.add_key()

    def add_key(self) -> str:
        """Add a new signing key (it signs from now on) and return its kid."""
        key = RSAKey.generate_key(2048, parameters={"use": "sig", "alg": SIGNING_ALG}, auto_kid=True)
        entry: dict[str, Any] = dict(key.as_dict(private=True))
        entry["iat"] = int(time.time())
        keys = self._read()
        keys.append(entry)
        self._write(keys)
        return str(entry["kid"])

    def private_set(self) -> KeySet:
        """Every key, private parts included, re-read when the file changed; RuntimeError if it has none."""
        now = time.monotonic()
        if self._keys is not None and now - self._checked < self.recheck_seconds:
            return self._keys
        self._checked = now
        stamp = self._file_stamp()
        if self._keys is None or stamp != self._stamp:
            raw = self._read()
            if not raw:
                raise RuntimeError(f"No signing key in {self.path}; run `tillit keys rotate`.")
            self._keys = KeySet.import_key_set({"keys": raw})
            self._stamp = stamp
        return self._keys

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def signing_set(self) -> KeySet:
        """A set holding only the signing key: joserfc then writes its kid into
        the header, which verifiers need once there is more than one key."""
        return KeySet([self.signing_key()])

    def retire_expired(self, max_token_age: int, now: int | None = None) -> list[str]:
        """Drop keys that stopped signing more than ``max_token_age`` seconds ago
        (the longest a token lives, plus leeway); return their kids."""
        current = int(time.time()) if now is None else now
        keys = self._read()
        keep, retired = [], []
        for i, entry in enumerate(keys):
            successor = keys[i + 1] if i + 1 < len(keys) else None
            if successor is not None and current - int(successor.get("iat", 0)) > max_token_age:
                retired.append(str(entry.get("kid")))
            else:
                keep.append(entry)
        if retired:
            self._write(keep)
        return retired

    def describe(self) -> list[dict[str, Any]]:
        """kid and creation time of each key, oldest first (the last one signs)."""
        return [{"kid": k.get("kid"), "iat": k.get("iat")} for k in self._read()]

    def signing_key(self) -> RSAKey:
        """The newest key: the one that signs new tokens."""
        keys = list(self.private_set())
        key = keys[-1]
        assert isinstance(key, RSAKey)
        return key

    def public_jwks(self) -> dict[str, Any]:
        """The public halves of every key, as the JWKS document verifiers fetch."""
        public = []
        for key in self.private_set():
            data = dict(key.as_dict(private=False))
            data.pop("iat", None)
            public.append(data)
        return {"keys": public}
