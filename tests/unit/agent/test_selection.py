"""Tool selection: relevant tools for a message, few enough to keep prompts small."""

from __future__ import annotations

import pytest

from openagent_lsp.agent.selection import DEFAULT_TOOLS, select_tools
from openagent_lsp.tools.registry import build_default_registry


@pytest.fixture(scope="module")
def registry():  # type: ignore[no-untyped-def]
    return build_default_registry()


@pytest.mark.parametrize(
    ("message", "expected", "unexpected"),
    [
        ("run the tests", {"shell.run"}, {"git.commit", "files.delete"}),
        ("pytest -q fails, why?", {"shell.run"}, {"git.commit"}),
        ("what changed since yesterday?", {"git.status", "git.diff"}, {"shell.run", "files.delete"}),
        ("explain src/server/app.py", {"files.read"}, {"git.commit", "shell.run"}),
        ("commit my changes with a good message", {"git.commit", "git.diff"}, {"files.delete"}),
        ("who wrote this function? blame it", {"git.blame"}, {"files.delete"}),
        ("fix the bug in utils.py", {"files.read", "files.write"}, {"git.commit"}),
        ("delete the old config file", {"files.delete"}, {"git.commit"}),
        ("show me the project structure", {"files.list"}, {"git.commit"}),
    ],
)
def test_intents(registry, message: str, expected: set[str], unexpected: set[str]) -> None:  # type: ignore[no-untyped-def]
    chosen = set(select_tools(message, registry))
    assert expected <= chosen, chosen
    assert not (unexpected & chosen), chosen


def test_selection_is_bounded_and_in_registry_order(registry) -> None:  # type: ignore[no-untyped-def]
    chosen = select_tools(
        "run tests, show what changed, commit, blame app.py, delete x, list files", registry, max_tools=4
    )
    assert len(chosen) <= 4 + 3  # plus companions
    order = registry.names()
    assert chosen == sorted(chosen, key=order.index)


def test_nothing_relevant_falls_back_to_defaults(registry) -> None:  # type: ignore[no-untyped-def]
    chosen = select_tools("hello there", registry)
    assert chosen and set(chosen) <= set(DEFAULT_TOOLS)
    assert "shell.run" not in chosen and "files.delete" not in chosen
