"""What each code action asks an instruction-tuned model (chat messages), and how its answer becomes code.

Base models get completion-shaped prompts instead (``base_prompts.py``); ``recipes.py`` picks.
"""

from __future__ import annotations

import re

from openagent_lsp.errors import InvalidInputError


def action_messages(action: str, source: str, language: str, diagnostics: list[str],
                    question: str = "") -> list[dict[str, str]]:
    """The chat messages sent to the model for one action on ``source`` (for "commit": the staged diff)."""
    lang = language or "text"
    code = f"```{lang}\n{source}\n```"
    system = ("You are a precise coding assistant inside an editor. When asked to change code, answer with "
              "exactly one fenced code block containing the complete replacement code and nothing else.")
    asks = {
        "explain": f"Explain what this {lang} code does, briefly and concretely:\n{code}",
        "ask": f"{question}\n\nThe question is about this {lang} code:\n{code}",
        "docstring": f"Add a docstring (or doc comment) to this {lang} code. Keep the code itself unchanged. "
                     f"Return the whole code with the docstring added:\n{code}",
        "refactor": f"Simplify this {lang} code without changing its behaviour. Return the whole new code:\n{code}",
        "fix": "Fix these problems in the code:\n" + "\n".join(f"- {d}" for d in diagnostics)
               + f"\nReturn the whole corrected code:\n{code}",
        "tests": f"Write pytest-style unit tests for this {lang} code. Return only the test code:\n{code}",
        "commit": "Write a concise git commit message (subject line, blank line, body) for this staged diff:\n"
                  f"```diff\n{source}\n```",
    }
    if action not in asks:
        raise InvalidInputError(f"action: unknown action {action!r}; expected one of {', '.join(asks)}")
    return [{"role": "system", "content": system}, {"role": "user", "content": asks[action]}]


_FENCE = re.compile(r"```[^\n`]*\n(.*?)(?:```|\Z)", re.S)


def extract_code(answer: str) -> str:
    """The first fenced block of the answer, or the whole answer when the model used no fence."""
    match = _FENCE.search(answer)
    code = match.group(1) if match else answer
    return code.strip("\n")


def reindent(code: str, like: str) -> str:
    """Give ``code`` the indentation of the first line of ``like`` (models often drop it)."""
    want = like[: len(like) - len(like.lstrip())]
    lines = code.splitlines()
    if not lines:
        return code
    have = lines[0][: len(lines[0]) - len(lines[0].lstrip())]
    if have == want:
        return code
    out = []
    for line in lines:
        body = line[len(have):] if line.startswith(have) else line.lstrip()
        out.append(want + body if line.strip() else "")
    return "\n".join(out)
