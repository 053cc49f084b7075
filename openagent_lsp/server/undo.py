"""``openagent.undoLastTurn``: put back every file the last agent turn changed (``assist/undo.py``).

Arguments ``[{}]`` (the last turn of any conversation) or ``[{"conversationId": id}]``; the result is
``{"message": str, "files": [workspace-relative paths]}``.
"""

from __future__ import annotations

from typing import Any

from openagent_lsp.server import methods
from openagent_lsp.server.errors import guarded
from openagent_lsp.server.server import OpenAgentServer


def register(server: OpenAgentServer) -> None:
    @server.command(methods.CMD_UNDO_LAST_TURN)
    @guarded(methods.CMD_UNDO_LAST_TURN)
    async def undo_last_turn(ls: OpenAgentServer, *raw: Any) -> dict[str, Any]:
        from openagent_lsp.assist.undo import parse_undo_args

        result = await ls.services.undo.undo_last(parse_undo_args(raw))
        return result.to_json()
