"""Ghost text in a real Neovim 0.12: typing in insert mode, accept / accept word / accept line keys."""

from __future__ import annotations

import pytest

from tests.e2e.neovim.harness import Nvim, wait_for

SOURCE = "def add(a, b):\n    \n"

pytestmark = pytest.mark.timeout(180)


def needs_native_inline(nvim: Nvim) -> None:
    if not nvim.lua("return vim.lsp.inline_completion ~= nil"):
        pytest.skip("this Neovim has no vim.lsp.inline_completion (0.12+)")


def test_typing_shows_ghost_text_and_the_accept_key_inserts_it(nvim: Nvim, env: dict[str, str]) -> None:
    needs_native_inline(nvim)
    nvim.start(env, "a.py", SOURCE)
    # The status request can answer "ready" before the statusChanged notification reaches the plugin.
    wait_for(lambda: nvim.lua("return require('openagent').statusline()") == "OpenAgent: ready", 30,
             "the statusline to say ready")
    nvim.api.api.win_set_cursor(0, [2, 4])
    nvim.input("A")  # insert mode at the end of the indented blank line
    first = nvim.wait_ghost(what="ghost text after entering insert mode")
    assert nvim.mode() == "i"
    typed = first[:2]
    assert "\n" not in typed and typed.strip(), first

    # Typing what the ghost text shows keeps it up, shortened by the typed characters.
    for char in typed:
        nvim.input(char.replace("<", "<lt>"))
    rest = nvim.wait_ghost(what="the rest of the suggestion after typing it",
                           accept=lambda text: text.split("\n")[0] == first.split("\n")[0][len(typed):])
    assert nvim.lines()[1] == "    " + typed

    before = nvim.completion_counters()["accepted"]
    nvim.input("<M-l>")
    # The first line is settled; later lines may have grown meanwhile (the server keeps generating
    # the block after answering with its first line).
    expected = "    " + typed + rest.split("\n")[0]
    nvim.wait_lines(lambda lines: lines[1] == expected, "the accepted suggestion in the buffer")
    assert nvim.mode() == "i"
    wait_for(lambda: nvim.completion_counters()["accepted"] == before + 1, 10,
             "openagent.completion.accepted to reach the server")


def test_accept_word_and_accept_line(nvim: Nvim, env: dict[str, str]) -> None:
    needs_native_inline(nvim)
    nvim.start(env, "a.py", SOURCE)
    nvim.api.api.win_set_cursor(0, [2, 4])
    nvim.input("A")
    suggestion = nvim.wait_ghost()
    word = nvim.lua("return require('openagent.inline').next_word(...)", suggestion)
    assert word and len(word) < len(suggestion.split("\n")[0]), (word, suggestion)

    nvim.input("<M-w>")
    nvim.wait_lines(lambda lines: lines[1] == "    " + word, "one word inserted")
    counters = wait_for(lambda: (c := nvim.completion_counters())["accepted_partial"] == 1 and c, 10,
                        "the partial acceptance to reach the server")
    assert counters["accepted_chars"] == len(word) and counters["accepted"] == 0

    # The rest of the suggestion comes back (from the server's cache: typing as suggested).
    first_line = suggestion.split("\n")[0]
    nvim.wait_ghost(what="the rest after accepting a word",
                    accept=lambda text: first_line[len(word):].startswith(text.split("\n")[0])
                    or text.split("\n")[0].startswith(first_line[len(word):]))
    nvim.input("<M-j>")
    nvim.wait_lines(lambda lines: lines[1] == "    " + first_line, "the rest of the line inserted")
    # The rest of a one-line suggestion is a whole acceptance; of a longer one, partial again.
    wait_for(lambda: (c := nvim.completion_counters())["accepted"] + c["accepted_partial"] == 2, 10,
             "the second acceptance")
    assert nvim.mode() == "i"


def test_dismiss_trigger_and_cycle_keys(nvim: Nvim, env: dict[str, str]) -> None:
    needs_native_inline(nvim)
    nvim.start(env, "a.py", SOURCE)
    nvim.api.api.win_set_cursor(0, [2, 4])
    nvim.input("A")
    shown = nvim.wait_ghost()

    nvim.input("<C-]>")  # dismiss: gone, nothing inserted
    wait_for(lambda: nvim.ghost() is None, 10, "the ghost text to go")
    assert nvim.lines()[1] == "    " and nvim.mode() == "i"

    requests = nvim.completion_counters()["requests"]
    nvim.input("<M-\\>")  # trigger: asks again at once, without moving the cursor
    again = nvim.wait_ghost(what="ghost text after the trigger key")
    assert again.split("\n")[0] == shown.split("\n")[0]
    assert nvim.completion_counters()["requests"] == requests + 1

    nvim.input("<M-]>")  # next: the one suggestion again, marked 1 of 1
    wait_for(lambda: "(1/1)" in nvim.lua(r"""
        local ns = vim.api.nvim_get_namespaces()['nvim.lsp.inline_completion']
        local marks = vim.api.nvim_buf_get_extmarks(0, ns, 0, -1, { details = true })
        local text = {}
        for _, chunk in ipairs(marks[1] and marks[1][4].virt_text or {}) do table.insert(text, chunk[1]) end
        for _, line in ipairs(marks[1] and marks[1][4].virt_lines or {}) do
          for _, chunk in ipairs(line) do table.insert(text, chunk[1]) end
        end
        return table.concat(text)
    """), 10, "the cycled suggestion with its index")
    assert nvim.lines()[1] == "    "
