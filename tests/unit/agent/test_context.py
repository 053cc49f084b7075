"""ContextManager: keeps system + newest message, drops oldest turns first, truncates tool output."""

from __future__ import annotations

from openagent_lsp.agent.context import ContextManager, truncate_middle


def words(text: str) -> int:
    return len(text.split())


def msg(role: str, content: str) -> dict[str, str]:
    return {"role": role, "content": content}


def test_fits_unchanged_when_small() -> None:
    msgs = [msg("system", "sys"), msg("user", "hi")]
    assert ContextManager(words, 100).fit(msgs) == msgs


def test_drops_oldest_turns_first_and_keeps_system_and_latest() -> None:
    history = [msg("system", "s " * 10)]
    for i in range(5):
        history += [msg("user", f"q{i} " + "w " * 20), msg("assistant", f"a{i} " + "w " * 20)]
    history.append(msg("user", "latest question"))
    cm = ContextManager(words, 80)
    fitted = cm.fit(history)
    assert fitted[0] == history[0]
    assert fitted[-1] == history[-1]
    assert cm.total(fitted) <= 80
    contents = [m["content"].split()[0] for m in fitted[1:-1]]
    # Whole turns survive (question with its answer), newest ones.
    assert contents == ["q4", "a4"]


def test_never_splits_a_question_from_its_answer() -> None:
    history = [msg("system", "s"), msg("user", "q0 " + "w " * 30), msg("assistant", "a0 " + "w " * 30)]
    history.append(msg("user", "now"))
    fitted = ContextManager(words, 40).fit(history)
    roles = [m["role"] for m in fitted]
    assert roles == ["system", "user"] and fitted[-1]["content"] == "now"


def test_current_question_kept_while_dropping_old_tool_steps() -> None:
    msgs = [
        msg("system", "sys"),
        msg("user", "old " + "w " * 50),
        msg("assistant", "old answer " + "w " * 50),
        msg("user", "current question"),
        msg("assistant", '<tool_call>{"tool": "a"}</tool_call>'),
        msg("user", "Observation from a (ok):\n" + "x " * 40),
        msg("assistant", '<tool_call>{"tool": "b"}</tool_call>'),
        msg("user", "Observation from b (ok):\nresult b"),
    ]
    cm = ContextManager(words, 30)
    fitted = cm.fit(msgs)
    contents = [m["content"] for m in fitted]
    assert "current question" in contents
    assert contents[-1] == "Observation from b (ok):\nresult b"
    assert not any(c.startswith("old") for c in contents)
    assert cm.total(fitted) <= 30


def test_huge_tool_output_is_truncated_in_the_middle() -> None:
    big = "Observation from shell.run (ok):\nHEAD " + "x" * 50_000 + " TAIL"
    cm = ContextManager(lambda t: len(t) // 4, 100_000, max_tool_output_chars=2000)
    [fitted] = cm.fit([msg("user", big)])
    assert len(fitted["content"]) <= 2000
    assert fitted["content"].startswith("Observation from shell.run") and fitted["content"].endswith("TAIL")
    assert "characters cut" in fitted["content"]


def test_oversized_latest_message_is_shrunk_to_fit() -> None:
    cm = ContextManager(lambda t: len(t) // 4 + 1, 300)
    fitted = cm.fit([msg("system", "sys"), msg("user", "y" * 20_000)])
    assert fitted[0]["content"] == "sys"
    assert cm.total(fitted) <= 300 and len(fitted[1]["content"]) > 100


def test_truncate_middle_short_text_untouched() -> None:
    assert truncate_middle("abc", 10) == "abc"
    assert len(truncate_middle("a" * 1000, 300)) <= 300
