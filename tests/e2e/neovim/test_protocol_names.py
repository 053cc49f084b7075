"""The Lua client spells the server's custom names exactly as openagent_lsp/server/methods.py does."""

from __future__ import annotations

import re

from openagent_lsp.server import methods
from tests.e2e.neovim.harness import PLUGIN_DIR

LUA_CONSTANT = re.compile(r"^M\.([A-Z_]+) = '([^']+)'", re.MULTILINE)


def test_lua_constants_match_the_server_names() -> None:
    lua = dict(LUA_CONSTANT.findall((PLUGIN_DIR / "lua" / "openagent" / "protocol.lua").read_text()))
    server = {name: value for name, value in vars(methods).items() if name.isupper() and isinstance(value, str)}
    assert server, "no names found in methods.py"
    missing = {name: value for name, value in server.items() if lua.get(name) != value}
    assert missing == {}, f"protocol.lua lacks or misspells: {missing}"
    # Names only the client knows about are commands the server may add (undo): keep them few.
    assert set(lua) - set(server) <= {"CMD_UNDO_LAST_TURN"}
