"""Chat buffer and approval prompts in a real Neovim, against the real server and the tiny model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.neovim.harness import Nvim, wait_for
from tests.support.lsp import HELD_SERVER_COMMAND

SOURCE = "def add(a, b):\n    return a + b\n"

pytestmark = pytest.mark.timeout(180)

# vim.ui.select as a picker plugin would answer it: later (scheduled), with the item whose title is
# _G.approval_answer, or nil (the picker closed). It records what the user was shown, floats included.
STUB_SELECT = r"""
_G.prompts = {}
_G.approval_answer = nil
vim.ui.select = function(items, opts, on_choice)
  local floats = {}
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_config(win).relative ~= '' then
      local buf = vim.api.nvim_win_get_buf(win)
      table.insert(floats, table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n'))
    end
  end
  local titles = {}
  for _, item in ipairs(items) do table.insert(titles, opts.format_item(item)) end
  table.insert(_G.prompts, { prompt = opts.prompt, kind = opts.kind, titles = titles, floats = floats })
  local choice
  for _, item in ipairs(items) do
    if item.title == _G.approval_answer then choice = item end
  end
  vim.schedule(function() on_choice(choice) end)
end
"""


def chat_send(nvim: Nvim, message: str) -> None:
    """Type ``message`` under the last "## You" heading of the chat buffer and press <CR>."""
    nvim.input("GA" + message.replace("<", "<lt>") + "<Esc>")
    wait_for(lambda: nvim.mode() == "n", 5, "normal mode")
    nvim.input("<CR>")


def wait_turn(nvim: Nvim, count: int, timeout: float = 60) -> dict[str, Any]:
    wait_for(lambda: nvim.count("chat_done") >= count, timeout, f"chat turn {count} to finish")
    return nvim.recorded("chat_done")[count - 1]


def test_run_asks_through_vim_ui_select_and_runs_only_when_approved(nvim: Nvim, env: dict[str, str],
                                                                    workspace: Path) -> None:
    nvim.start(env, "a.py", SOURCE)
    nvim.lua(STUB_SELECT)
    marker = workspace / "marker.txt"
    command = f"/run python3 -c \"open('{marker.name}', 'w').write('x')\""
    nvim.api.command("OpenAgentChat")
    assert nvim.api.current.buffer.name.startswith("openagent://chat/")

    # The picker closed without an answer: no.
    chat_send(nvim, command)
    first = wait_turn(nvim, 1)
    assert first["result"]["ok"] is False and not marker.exists()
    prompt = nvim.lua("return _G.prompts[1]")
    assert prompt["kind"] == "openagent.approval"
    assert prompt["titles"][0] == "Run once" and "Deny" in prompt["titles"]
    # The whole message is on screen, in a float above the picker: command, risk and reason.
    shown = "\n".join(prompt["floats"])
    assert f"open('{marker.name}', 'w').write('x')" in shown and "Risk:" in shown and "Rule:" in shown
    assert nvim.lua("return #vim.tbl_filter(function(w) return vim.api.nvim_win_get_config(w).relative ~= '' end,"
                    " vim.api.nvim_list_wins())") == 0, "the float closes with the picker"

    nvim.lua("_G.approval_answer = 'Deny'")
    chat_send(nvim, command)
    assert wait_turn(nvim, 2)["result"]["ok"] is False and not marker.exists()

    nvim.lua("_G.approval_answer = 'Run once'")
    chat_send(nvim, command)
    third = wait_turn(nvim, 3)
    assert third["result"]["ok"] is True, third
    assert marker.read_text() == "x"
    assert len(nvim.lua("return _G.prompts")) == 3
    # The transcript shows each turn.
    text = "\n".join(nvim.lines())
    assert text.count("## You") == 4 and text.count("## OpenAgent") == 3


def test_chat_streams_deltas_in_order_and_ctrl_c_stops_them(nvim: Nvim, agent_env: dict[str, str]) -> None:
    # The held server streams the first piece, then waits for the cancel: <C-c> never races the model.
    held = {**agent_env, "OPENAGENT_TEST_HOLD_AFTER_PIECES": "1"}
    nvim.start(held, "a.py", SOURCE, cmd=HELD_SERVER_COMMAND)
    nvim.api.command("OpenAgentChat")
    chat_send(nvim, "Tell me a long story")
    wait_for(lambda: nvim.count("deltas") >= 1, 60, "the answer to stream")
    assert nvim.lua("return require('openagent').statusline()") == "OpenAgent: thinking…"
    nvim.input("<C-c>")
    done = wait_turn(nvim, 1)
    assert done["result"]["cancelled"] is True, (done, nvim.status()["requests"])

    deltas = nvim.recorded("deltas")
    # Nothing streams after the cancelled answer: a round trip later, no new delta has arrived
    # (notifications and responses share one ordered stream).
    status = nvim.status()
    assert nvim.count("deltas") == len(deltas)
    assert status["lastGeneration"]["stoppedBy"] == "cancelled"
    assert [d["seq"] for d in deltas] == list(range(1, len(deltas) + 1))
    assert {d["conversationId"] for d in deltas} == {done["conversationId"]}

    # The buffer holds the deltas in order under the answer's heading, then the cancel note.
    lines = nvim.lines()
    text = "\n".join(lines)
    answer = text.split("## OpenAgent\n", 1)[1].split("\n\n_(cancelled)_", 1)[0]
    assert answer == "".join(d["text"] for d in deltas)
    assert lines[-2:] == ["## You", ""]
    assert nvim.lua("return require('openagent').statusline()") == "OpenAgent: ready"


def test_ask_on_a_selection_streams_the_answer_into_the_chat(nvim: Nvim, agent_env: dict[str, str]) -> None:
    nvim.start(agent_env, "a.py", SOURCE)
    nvim.lua("""
        vim.ui.input = function(opts, on_confirm)
          _G.input_prompt = opts.prompt
          vim.schedule(function() on_confirm('What does add return?') end)
        end
    """)
    nvim.api.api.win_set_cursor(0, [2, 4])
    nvim.input("V:OpenAgentAsk<CR>")  # ":" from visual mode gives :'<,'>OpenAgentAsk
    done = wait_turn(nvim, 1)
    assert done.get("error") is None and done["result"]["ok"] is True, done
    assert nvim.lua("return _G.input_prompt") == "Ask OpenAgent: "
    assert nvim.api.current.buffer.name.startswith("openagent://chat/")
    text = "\n".join(nvim.lines())
    assert "## You\nWhat does add return?\n\n> about a.py line 2\n\n## OpenAgent\n" in text
    deltas = nvim.recorded("deltas")
    assert deltas and "".join(d["text"] for d in deltas) in text


def test_history_reopens_a_conversation_of_an_earlier_session(make_nvim: Any, env: dict[str, str]) -> None:
    first = make_nvim()
    first.start(env, "a.py", SOURCE)
    first.api.command("OpenAgentChat")
    chat_send(first, "remember the number 42")
    conversation_id = wait_turn(first, 1)["conversationId"]
    first.close()

    second = make_nvim()
    second.start(env, "a.py", SOURCE)
    second.lua("""
        vim.ui.select = function(items, opts, on_choice)
          _G.listed = vim.tbl_map(opts.format_item, items)
          _G.picked = items[1]
          vim.schedule(function() on_choice(items[1]) end)
        end
    """)
    second.api.command("OpenAgentChat history")
    wait_for(lambda: second.api.current.buffer.name == f"openagent://chat/{conversation_id}", 30,
             "the earlier conversation to open", show=lambda: second.api.current.buffer.name)
    assert second.lua("return _G.picked.conversationId") == conversation_id
    text = "\n".join(second.lines())
    assert "## You\nremember the number 42" in text and "## OpenAgent" in text
    assert second.lines()[-2:] == ["## You", ""]  # ready to continue it


def test_explain_at_the_cursor_answers_in_the_chat(nvim: Nvim, env: dict[str, str]) -> None:
    nvim.start(env, "a.py", SOURCE)
    nvim.api.api.win_set_cursor(0, [2, 6])
    nvim.api.command("OpenAgentExplain")
    done = wait_turn(nvim, 1)
    assert done.get("error") is None and done["result"]["ok"] is True, done
    text = "\n".join(nvim.lines())
    assert "## You\n/explain a.py line 2\n\n## OpenAgent\n" in text
    assert done["result"]["text"].strip() and done["result"]["text"].strip() in text
