"""``openagent/audit``: recent audit records and whether the hash chain verifies."""

from __future__ import annotations

import asyncio
from typing import Any

from openagent_lsp.server import methods
from openagent_lsp.server.errors import guarded
from openagent_lsp.server.server import OpenAgentServer


def register(server: OpenAgentServer) -> None:
    @server.feature(methods.AUDIT)
    @guarded(methods.AUDIT)
    async def audit(ls: OpenAgentServer, params: Any = None) -> dict[str, Any]:
        limit = _limit(params)
        svc = ls.services
        records = await asyncio.to_thread(svc.audit.recent, limit)
        ok, detail = await asyncio.to_thread(svc.audit.verify)
        return {"path": str(svc.audit_path), "verified": ok, "detail": detail, "records": records}


def _limit(params: Any) -> int:
    raw = params.get("limit") if isinstance(params, dict) else getattr(params, "limit", None)
    try:
        return max(1, min(int(raw), 1000)) if raw is not None else 50
    except (TypeError, ValueError):
        return 50
