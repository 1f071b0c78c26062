"""Signing keys for the built-in authorization server, kept in the instance folder.

The file holds a JWK set with private keys. The newest key signs; every key in
the file verifies, so tokens signed before a rotation stay valid until they expire.
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
    def __init__(self, path: Path) -> None:
        self.path = path
        self._keys: KeySet | None = None

    @classmethod
    def in_folder(cls, folder: str | Path) -> KeyStore:
        return cls(Path(folder) / KEYS_FILE)

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
        if self._keys is None:
            raw = self._read()
            if not raw:
                raise RuntimeError(f"No signing key in {self.path}; run `tillit keys rotate`.")
            self._keys = KeySet.import_key_set({"keys": raw})
        return self._keys

    def signing_key(self) -> RSAKey:
        """The newest key: the one that signs new tokens."""
        keys = list(self.private_set())
        key = keys[-1]
        assert isinstance(key, RSAKey)
        return key

    def public_jwks(self) -> dict[str, Any]:
        public = []
        for key in self.private_set():
            data = dict(key.as_dict(private=False))
            data.pop("iat", None)
            public.append(data)
        return {"keys": public}
