""""Always allow" grants that only count when the server itself stored them.

The grants live in the SQLite store, which the OS sandbox hides from every command; this is the second
lock, for whatever else could write the file (a process outside the sandbox, a restored backup): each
grant carries ``HMAC-SHA256(key, workspace | kind | grant key)`` under the audit log's key, and a row
without a valid MAC is ignored (and logged) instead of allowing anything.
"""

from __future__ import annotations

import hashlib
import hmac

from openagent_lsp.logging import get_logger
from openagent_lsp.policy.types import ToolKind
from openagent_lsp.store.db import Store

log = get_logger(__name__)


class SignedGrantStore:
    """The guard's ``GrantStore`` over ``Store``, with a MAC on every grant."""

    def __init__(self, store: Store, key: bytes) -> None:
        self.store = store
        self._key = key

    def _mac(self, workspace: str, grant_key: str, kind: ToolKind) -> str:
        data = f"{workspace}\x00{ToolKind(kind).value}\x00{grant_key}".encode("utf-8", "surrogatepass")
        return hmac.new(self._key, data, hashlib.sha256).hexdigest()

    def add_grant(self, workspace: str, grant_key: str, kind: ToolKind = ToolKind.COMMAND) -> None:
        self.store.add_grant(workspace, grant_key, kind, mac=self._mac(workspace, grant_key, kind))

    def list_grants(self, workspace: str, kind: ToolKind = ToolKind.COMMAND) -> list[str]:
        out: list[str] = []
        for grant_key, mac in self.store.grant_rows(workspace, kind):
            if hmac.compare_digest(mac, self._mac(workspace, grant_key, kind)):
                out.append(grant_key)
            else:
                log.warning("grant_ignored", reason="no valid MAC: not stored by this server", grant_key=grant_key)
        return out
