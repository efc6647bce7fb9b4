"""The personal links of a served session: one random token per annotator (and one for the
coordinator's dashboard), kept in memory, or in a JSON file only its owner may read (mode 0600)
so that the links survive a restart."""

from __future__ import annotations

import hmac
import json
import os
import secrets
import stat
from pathlib import Path
from typing import Any

__all__ = ["DASHBOARD", "Links"]

#: The name the coordinator's dashboard link is kept under (never an annotator's name: it has
#: parentheses and a space, which :func:`nblabel.core.limits.check_name` allows but the CLI's
#: annotators never use for this role).
DASHBOARD = "(dashboard)"
#: Bytes of randomness per token (``secrets.token_urlsafe``): 192 bits.
TOKEN_BYTES = 24


class Links:
    """Tokens by name. ``path``: a JSON file to keep them in (created with mode 0600; a file
    others may read or write is refused). Other entries of the file (``urls``: the annotator
    store URLs ``session.grant`` gave) are kept with them."""

    def __init__(self, names: list[str], path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path).expanduser() if path is not None else None
        saved = self._load()
        self.tokens: dict[str, str] = {n: t for n, t in saved.get("tokens", {}).items() if n in names}
        self.urls: dict[str, str] = dict(saved.get("urls", {}))
        for name in names:
            if name not in self.tokens:
                self.tokens[name] = secrets.token_urlsafe(TOKEN_BYTES)
        self.save()

    def name_of(self, token: str) -> str | None:
        """The name a token belongs to (compared in constant time), or ``None``."""
        found = None
        for name, known in self.tokens.items():
            if hmac.compare_digest(known.encode("ascii"), token.encode("utf-8", "surrogatepass")):
                found = name
        return found

    def set_url(self, name: str, url: str) -> None:
        """Keep the store URL an annotator's labeler uses (their own role's), if there is a file."""
        self.urls[name] = url
        self.save()

    def save(self) -> None:
        """Write the file (if any), readable and writable by its owner only."""
        if self.path is None:
            return
        data = json.dumps({"tokens": self.tokens, "urls": self.urls}, indent=1, ensure_ascii=False)
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, data.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.path)

    def _load(self) -> dict[str, Any]:
        if self.path is None or not self.path.exists():
            return {}
        mode = self.path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise PermissionError(
                f"{self.path} may be read or written by other users (mode {stat.filemode(mode)}): it holds "
                f"the annotators' links; run `chmod 600 {self.path}` or choose another file"
            )
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"cannot read the links file {self.path}: {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("tokens", {}), dict):
            raise ValueError(f"{self.path} is not a links file written by nblabel session serve")
        return data
