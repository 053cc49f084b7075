"""Code actions, :checkhealth, setup() and the completion fallback in a real Neovim."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.neovim.harness import Nvim, wait_for

pytestmark = pytest.mark.timeout(180)

GEO = '''import math


def area(radius):
    return math.pi * radius ** 2


def unused():
    pass
'''


def test_doc_on_a_visual_selection_applies_the_edit_in_the_buffer(nvim: Nvim, agent_env: dict[str, str]) -> None:
    nvim.start(agent_env, "geo.py", GEO)
    original = nvim.lines()
    nvim.api.api.win_set_cursor(0, [5, 4])
    nvim.input("vee")  # select "return math" inside area()
    wait_for(lambda: nvim.mode() == "v", 5, "visual mode")
    nvim.input(":OpenAgentDoc<CR>")
    wait_for(lambda: nvim.count("action_done") == 1, 60, "the docstring action to finish",
             show=lambda: nvim.api.command_output("messages"))
    done = nvim.recorded("action_done")[0]
    assert done["action"] == "docstring" and done["result"] == {"applied": True}, done

    lines = nvim.lines()
    assert lines != original
    # The edit replaced the enclosing function only: the import above and unused() below are intact.
    assert lines[:3] == original[:3]
    assert lines[-3:] == original[-3:]
    # It came through workspace/applyEdit into the buffer, so one undo restores the original.
    nvim.input("<Esc>u")
    wait_for(lambda: nvim.lines() == original, 10, "undo to restore the buffer")


def test_checkhealth_reports_no_error(nvim: Nvim, env: dict[str, str]) -> None:
    nvim.start(env, "a.py", "x = 1\n")
    nvim.api.command("checkhealth openagent")
    report = "\n".join(nvim.lines())
    assert "openagent" in report.lower()
    assert "ERROR" not in report, report
    assert "found through the cmd option" in report
    assert "version: openagent-lsp" in report
    assert "ready" in report
    if nvim.lua("return vim.lsp.inline_completion ~= nil"):
        assert "inline completion available" in report
    else:
        assert "completion fallback available" in report


def test_setup_names_the_bad_option_and_is_idempotent(nvim: Nvim, env: dict[str, str]) -> None:
    for bad, name in [({"inline": {"keymaps": {"accept": 3}}}, "inline.keymaps.accept"),
                      ({"chat": {"layout": "diagonal"}}, "chat.layout"),
                      ({"inlne": {}}, "inlne"),
                      ({"filetypes": "python"}, "filetypes")]:
        error = nvim.lua("local ok, err = pcall(require('openagent').setup, ...); return not ok and err", bad)
        assert error and name in error, (bad, error)

    nvim.start(env, "a.py", "def add(a, b):\n    \n")
    nvim.setup(env)  # again, same options: no second client, same keymaps
    nvim.setup(env, inline={"keymaps": {"trigger": "<C-l>"}})
    assert nvim.lua("return #vim.lsp.get_clients({ name = 'openagent' })") == 1
    assert nvim.lua("return vim.fn.maparg('<C-l>', 'i') ~= ''")
    assert nvim.lua("return vim.fn.maparg('<M-\\\\>', 'i') == ''"), "the old key is unmapped"

    # Changed settings reach the running server (workspace/didChangeConfiguration): with completions
    # switched off it suggests nothing where it did before.
    nvim.api.api.win_set_cursor(0, [2, 4])
    assert suggestions(nvim)
    nvim.setup(env, settings={"completion": {"enabled": False}})
    assert suggestions(nvim) == []


def suggestions(nvim: Nvim) -> list[object]:
    """Ask the server directly, with whichever method it offers this client."""
    return list(nvim.lua("""
        local c = vim.lsp.get_clients({ name = 'openagent' })[1]
        local params = vim.lsp.util.make_position_params(0, c.offset_encoding)
        params.context = { triggerKind = 1 }
        local method = c.server_capabilities.inlineCompletionProvider and 'textDocument/inlineCompletion'
          or 'textDocument/completion'
        return c:request_sync(method, params, 20000).result.items
    """))


def test_completion_fallback_when_inline_completion_is_off(nvim: Nvim, env: dict[str, str]) -> None:
    """What Neovim 0.10/0.11 get: no inline completion advertised, the server's completion items instead."""
    nvim.start(env, "a.py", "def add(a, b):\n    \n", inline={"enabled": False})
    caps = nvim.lua("return vim.lsp.get_clients({ name = 'openagent' })[1].server_capabilities")
    assert caps.get("inlineCompletionProvider") is None and caps.get("completionProvider")
    nvim.api.api.win_set_cursor(0, [2, 4])
    nvim.input("A<M-\\>")  # the trigger key asks for completions now
    items = wait_for(lambda: nvim.lua("return vim.fn.pumvisible() == 1 and vim.fn.complete_info({ 'items' }).items"),
                     30, "the completion popup")
    assert len(items) == 1 and items[0]["menu"] == "OpenAgent"
    suggestion = items[0]["user_data"]["nvim"]["lsp"]["completion_item"]["textEdit"]["newText"]
    assert suggestion.strip()
    nvim.input("<C-n><C-y>")
    # The whole suggestion, not only its first word (what Neovim inserts of a plain-text item).
    expected = ("    " + suggestion).split("\n")
    nvim.wait_lines(lambda lines: lines[1:1 + len(expected)] == expected, "the whole suggestion in the buffer")
    wait_for(lambda: nvim.completion_counters()["accepted"] == 1, 10, "the acceptance to reach the server")
    assert nvim.ghost() is None and nvim.mode() == "i"


def test_without_vim_lsp_config_the_server_starts_with_vim_lsp_start(nvim: Nvim, env: dict[str, str],
                                                                    workspace: Path) -> None:
    """Neovim 0.10 has no vim.lsp.config: the plugin starts the client itself on FileType."""
    nvim.lua("require('openagent.compat').has_lsp_config = function() return false end")
    nvim.start(env, "a.py", "x = 1\n")
    assert nvim.lua("return vim.lsp.config._configs.openagent == nil"), "registered through vim.lsp.config"
    client = nvim.lua("local c = vim.lsp.get_clients({ name = 'openagent', bufnr = 0 })[1];"
                      " return { root = c.root_dir, n = #vim.lsp.get_clients() }")
    assert client == {"root": str(workspace), "n": 1}
    nvim.open("b.py", "y = 2\n")  # a second buffer reuses the client
    nvim.wait_attached()
    assert nvim.lua("return #vim.lsp.get_clients({ name = 'openagent' })") == 1


def test_vim_lsp_enable_alone_finds_the_server_in_the_active_virtualenv(
        nvim_bin: str, workspace: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
        make_nvim: Any) -> None:
    """No setup(): `vim.lsp.enable('openagent')` uses lsp/openagent.lua, which looks in $VIRTUAL_ENV."""
    server = Path(sys.prefix) / "bin" / "openagent-lsp"
    if not server.exists():
        pytest.skip(f"no {server} (the package is not installed in this environment)")
    for key, value in env.items():  # the server inherits Neovim's environment
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("VIRTUAL_ENV", sys.prefix)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # not on PATH: found through the virtualenv only
    nvim = make_nvim()
    if not nvim.lua("return vim.lsp.enable ~= nil"):
        pytest.skip("vim.lsp.enable needs Neovim 0.11+")
    nvim.lua("vim.lsp.enable('openagent')")
    nvim.open("a.py", "x = 1\n")
    nvim.wait_attached()
    assert nvim.lua("return vim.lsp.get_clients({ name = 'openagent' })[1].config.cmd[1]") == str(server)
    assert nvim.wait_model_ready()["model"]["model"] == env["OPENAGENT_MODEL"]
    assert nvim.lua("return require('openagent').statusline()") == "OpenAgent: ready"


def test_status_float_and_undo_only_when_the_server_offers_it(nvim: Nvim, env: dict[str, str]) -> None:
    nvim.start(env, "a.py", "x = 1\n")
    nvim.api.command("OpenAgentStatus")
    text = wait_for(lambda: nvim.lua("""
        for _, win in ipairs(vim.api.nvim_list_wins()) do
          if vim.api.nvim_win_get_config(win).relative ~= '' then
            return table.concat(vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(win), 0, -1, false), '\\n')
          end
        end
    """), 10, "the status float")
    assert "openagent-lsp 0.1.0" in text and "ready" in text and "completions:" in text

    offered = nvim.lua("return vim.tbl_contains(vim.lsp.get_clients({ name = 'openagent' })[1]"
                       ".server_capabilities.executeCommandProvider.commands, 'openagent.undoLastTurn')")
    before = sum(r["count"] for r in nvim.status()["requests"] if r["method"] == "workspace/executeCommand")
    nvim.lua("_G.notes = {}; vim.notify = function(msg, level) table.insert(_G.notes, { msg, level }) end")
    nvim.api.command("OpenAgentUndo")
    if offered:
        wait_for(lambda: nvim.lua("return #_G.notes") > 0, 30, "the undo answer")
    else:
        note = nvim.lua("return _G.notes[1]")
        assert note and "openagent.undoLastTurn" in note[0] and note[1] == 3  # WARN
        after = sum(r["count"] for r in nvim.status()["requests"] if r["method"] == "workspace/executeCommand")
        assert after == before, "nothing was sent to a server that does not offer undo"


def test_a_missing_server_is_reported_by_setup_and_checkhealth(nvim: Nvim, tmp_path: Path) -> None:
    nvim.lua("_G.notes = {}; vim.notify = function(msg, level) table.insert(_G.notes, { msg, level }) end")
    missing = tmp_path / "nowhere" / "openagent-lsp"
    nvim.lua("require('openagent').setup(...)", {"server_path": str(missing)})
    note = nvim.lua("return _G.notes[1]")
    assert note and str(missing) in note[0] and note[1] == 3  # WARN
    nvim.api.command("checkhealth openagent")
    report = "\n".join(nvim.lines())
    assert "ERROR" in report and "openagent-lsp not found" in report and str(missing) in report
