"""``openagent/audit``: recent audit records and whether the HMAC chain verifies;
``openagent.audit.acknowledge``: the user saw a failed verification, commands may run again."""

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

    @server.command(methods.CMD_AUDIT_ACKNOWLEDGE)
    @guarded(methods.CMD_AUDIT_ACKNOWLEDGE)
    async def acknowledge(ls: OpenAgentServer, *_raw: Any) -> dict[str, Any]:
        audit = ls.services.audit
        failure = audit.failure
        aside = await asyncio.to_thread(audit.acknowledge)
        if not failure:
            return {"acknowledged": False, "message": "the audit log verified; nothing to acknowledge"}
        return {"acknowledged": True, "failure": failure, "previousLog": aside,
                "message": f"acknowledged; the failed log was kept as {aside} and a new chain started"}


def _limit(params: Any) -> int:
    raw = params.get("limit") if isinstance(params, dict) else getattr(params, "limit", None)
    try:
        return max(1, min(int(raw), 1000)) if raw is not None else 50
    except (TypeError, ValueError):
        return 50
