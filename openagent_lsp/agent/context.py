"""Conversation state and fitting it into the model's context window.

Why trimming works by whole turns: dropping a user question but keeping the answer (or a tool call
without its observation) confuses small models more than losing the turn entirely. The system prompt
(tools, format) and the newest message are never dropped; the current question is kept as long as at
all possible; huge tool outputs are cut in the middle (head and tail carry most of the signal: the
command's start and its final error).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from openagent_lsp.agent.protocol import OBSERVATION_PREFIX

Message = dict[str, str]
# Rough per-message cost of chat-template tokens (role markers, separators).
MESSAGE_OVERHEAD_TOKENS = 4


@dataclass
class ConversationContext:
    """What the agent knows about one conversation when a message arrives.

    ``messages`` is the prior history (role/content dicts, oldest first); the agent appends the new
    user message and its final answer to it. ``uri``/``selection``/``code`` describe the editor state
    the user is asking about.
    """

    conversation_id: str
    workspace: Path
    messages: list[Message] = field(default_factory=list)
    uri: str | None = None
    selection: str | None = None
    code: str | None = None
    language: str | None = None


def is_observation(message: Message) -> bool:
    return message.get("role") == "tool" or (
        message.get("role") == "user" and message.get("content", "").startswith(OBSERVATION_PREFIX)
    )


def _is_question(message: Message) -> bool:
    return message.get("role") == "user" and not is_observation(message)


def truncate_middle(text: str, max_chars: int) -> str:
    """Keep the head and the tail, say how much was cut."""
    if len(text) <= max_chars:
        return text
    if max_chars < 200:
        return text[:max_chars]
    note = "\n[... {n} characters cut ...]\n"
    keep = max_chars - len(note.format(n=len(text)))
    head = keep * 2 // 3
    tail = keep - head
    cut = len(text) - head - tail
    return text[:head] + note.format(n=cut) + text[len(text) - tail:]


class ContextManager:
    """Fits a message list into ``budget_tokens`` as counted by the model's own tokenizer."""

    def __init__(
        self,
        count_tokens: Callable[[str], int],
        budget_tokens: int,
        *,
        max_tool_output_chars: int = 6000,
        max_message_chars: int = 24000,
    ) -> None:
        if budget_tokens <= 0:
            raise ValueError("budget_tokens must be positive")
        self.count_tokens = count_tokens
        self.budget_tokens = budget_tokens
        self.max_tool_output_chars = max_tool_output_chars
        self.max_message_chars = max_message_chars

    def cost(self, message: Message) -> int:
        return self.count_tokens(message.get("content", "")) + MESSAGE_OVERHEAD_TOKENS

    def total(self, messages: list[Message]) -> int:
        return sum(self.cost(m) for m in messages)

    def fit(self, messages: list[Message]) -> list[Message]:
        """A copy of ``messages`` that fits the budget (see the module docstring for the order of cuts)."""
        msgs = [dict(m) for m in messages]
        for m in msgs:
            limit = self.max_tool_output_chars if is_observation(m) else self.max_message_chars
            m["content"] = truncate_middle(m.get("content", ""), limit)
        if not msgs:
            return msgs
        costs = [self.cost(m) for m in msgs]
        if sum(costs) <= self.budget_tokens:
            return msgs

        has_system = msgs[0].get("role") == "system"
        first = 1 if has_system else 0
        last = len(msgs) - 1
        # The current question: the last user message that is not a tool observation.
        questions = [i for i in range(first, last + 1) if _is_question(msgs[i])]
        current = questions[-1] if questions else last
        keep = [True] * len(msgs)

        def total() -> int:
            return sum(c for c, k in zip(costs, keep, strict=True) if k)

        # 1. Whole older turns, oldest first (a turn starts at a user message that is not an observation).
        i = first
        while i < current and total() > self.budget_tokens:
            j = i + 1
            while j < current and not _is_question(msgs[j]):
                j += 1
            for k in range(i, j):
                keep[k] = False
            i = j
        # 2. Intermediate steps of the current turn, oldest first.
        k = current + 1
        while k < last and total() > self.budget_tokens:
            keep[k] = False
            k += 1
        # 3. The current question itself, when it is not the newest message.
        if total() > self.budget_tokens and current != last:
            keep[current] = False
        result = [m for m, k in zip(msgs, keep, strict=True) if k]
        # 4. Still too big: shrink the newest message, then the system prompt, to what is left.
        if self.total(result) > self.budget_tokens:
            result = self._shrink(result, len(result) - 1)
        if self.total(result) > self.budget_tokens and has_system:
            result = self._shrink(result, 0)
        return result

    def _shrink(self, msgs: list[Message], index: int) -> list[Message]:
        others = sum(self.cost(m) for i, m in enumerate(msgs) if i != index)
        room = self.budget_tokens - others - MESSAGE_OVERHEAD_TOKENS
        content = msgs[index].get("content", "")
        if room <= 0:
            msgs[index] = {**msgs[index], "content": ""}
            return msgs
        tokens = max(self.count_tokens(content), 1)
        # Characters per token estimated from this very text, then tightened until it fits.
        chars = int(len(content) * room / tokens)
        for _ in range(8):
            candidate = truncate_middle(content, max(chars, 0))
            if self.count_tokens(candidate) <= room:
                msgs[index] = {**msgs[index], "content": candidate}
                return msgs
            chars = int(chars * 0.8)
        msgs[index] = {**msgs[index], "content": content[: max(room, 0)]}
        return msgs
