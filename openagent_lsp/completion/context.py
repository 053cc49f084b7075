"""The one owner of an inline completion's prompt budget.

A prompt is made of three parts, each with its own budget in model tokens (the tokenizer's own count):

- the **prefix** (the text before the cursor, ``prompt_budget_tokens``): cut at a line boundary from
  the start, on a stable 16-line grid so the KV cache of the last prompt stays reusable while typing;
- the **suffix** (``suffix_budget_tokens``, FIM models only): cut at a line boundary from the end;
- the **context** (``context_budget_tokens``): what the prefix window does not show but the model should
  know — snippets of other open files that define names used near the cursor, and the file's imports
  when the window cut them off. Rendered as a comment header before the prefix.

``context/`` supplies the facts (ranked snippets, imports); this module decides what fits. The header is
*stable* per document: while the same snippets fit, it stays byte-identical from keystroke to keystroke
(rank changes among them do not reorder it), because a header that changes moves the start of the
prompt and turns a warm KV cache into a cold prefill.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from openagent_lsp.completion.prompt import Prompt, build_prompt
from openagent_lsp.context.documents import Document, DocumentStore
from openagent_lsp.context.languages import comment_prefix
from openagent_lsp.context.scope import Snippet, imports, ranked_snippets, render_snippet
from openagent_lsp.llm.base import FimFormat

CountTokens = Callable[[str], int]

# Identifiers near the cursor are read from this much text before it: enough for the current function.
_QUERY_CHARS = 8000
# Candidates considered for the header, best first.
_MAX_CANDIDATES = 8


@dataclass(frozen=True)
class PromptBudget:
    prefix_tokens: int
    suffix_tokens: int
    context_tokens: int


@dataclass(frozen=True)
class _Header:
    keys: tuple[tuple[str, int], ...]  # (uri, start line) of the snippets it shows
    text: str


class PromptBuilder:
    """Builds inline-completion prompts for the documents of one store; remembers each one's header."""

    def __init__(self, store: DocumentStore) -> None:
        self.store = store
        self._headers: dict[str, _Header] = {}

    def build(self, uri: str, language_id: str, prefix: str, suffix: str, *, fim: FimFormat | None,
              count: CountTokens, budget: PromptBudget, use_context: bool) -> Prompt:
        """The prompt for a cursor between ``prefix`` and ``suffix`` of document ``uri`` (a snapshot:
        this runs in a worker thread while the editor keeps typing)."""
        snippets, imports_text = "", ""
        doc = self.store.find(uri)
        if use_context and budget.context_tokens > 0 and doc is not None:
            snippets = self._snippets(uri, language_id, prefix, count, budget.context_tokens)
            left = budget.context_tokens - (count(snippets) if snippets else 0)
            imports_text = _imports_within(doc, count, left)
        return build_prompt(prefix, suffix, fim=fim, count=count, prefix_budget=budget.prefix_tokens,
                            suffix_budget=budget.suffix_tokens, header=snippets, header_if_cut=imports_text)

    def forget(self, uri: str) -> None:
        self._headers.pop(uri, None)

    def _snippets(self, uri: str, language_id: str, prefix: str, count: CountTokens, budget: int) -> str:
        comment = comment_prefix(language_id)
        ranked = ranked_snippets(self.store, uri, prefix[-_QUERY_CHARS:], max_snippets=_MAX_CANDIDATES)
        chosen = _fit(ranked, comment, count, budget)
        keys = {(s.uri, s.start_line) for s in chosen}
        previous = self._headers.get(uri)
        if previous is not None and set(previous.keys) == keys:
            return previous.text  # same snippets: the very same bytes, whatever their rank order now
        if previous is not None:  # snippets that stay keep their place, new ones follow
            order = {key: i for i, key in enumerate(previous.keys)}
            chosen.sort(key=lambda s: order.get((s.uri, s.start_line), len(order)))
        text = "".join(render_snippet(s, comment) for s in chosen)
        self._headers[uri] = _Header(tuple((s.uri, s.start_line) for s in chosen), text)
        return text


def _imports_within(doc: Document, count: CountTokens, budget: int) -> str:
    """The file's imports (they tell the model which names exist) when they fit ``budget``; the prompt
    shows them only if the prefix window cut them off."""
    statements = imports(doc)
    if budget <= 0 or not statements:
        return ""
    text = "\n".join(statements) + "\n"
    return text if count(text) <= budget else ""


def _fit(ranked: list[Snippet], comment: str, count: CountTokens, budget: int) -> list[Snippet]:
    """The best snippets, in rank order, whose rendered size fits ``budget`` tokens together."""
    chosen: list[Snippet] = []
    used = 0
    for snippet in ranked:
        cost = count(render_snippet(snippet, comment))
        if used + cost <= budget:
            chosen.append(snippet)
            used += cost
    return chosen
