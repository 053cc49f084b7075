"""Whether a model is a base model (it continues text) or instruction-tuned (it follows a chat).

The kind decides how every action asks the model: a base model gets completion-shaped prompts (the
function with its docstring opened, a test module to continue), an instruction-tuned one chat
messages. Detected from what the model files say, never assumed from the backend alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ModelKind(StrEnum):
    BASE = "base"
    INSTRUCT = "instruct"


@dataclass(frozen=True)
class KindDecision:
    kind: ModelKind
    reason: str


# Names that instruction-tuned checkpoints carry by convention (SmolLM2-135M-Instruct, gemma-3-270m-it,
# Qwen2.5-Coder-1.5B-Instruct, Llama-2-7b-chat).
_INSTRUCT_NAME = re.compile(r"(?:^|[-_ ./])(instruct|it|chat|sft|dpo|rlhf)(?:$|[-_ ./])", re.IGNORECASE)
# Chat-turn markers in the vocabulary. Only a hint: base checkpoints of some families (Gemma 3) ship
# the same vocabulary as their instruction-tuned siblings, so these never decide on their own.
_CHAT_TOKENS = ("<|im_start|>", "<start_of_turn>", "<|start_header_id|>", "[INST]", "<|user|>")


def detect_model_kind(tokenizer: Any, config: Any = None, name: str = "") -> KindDecision:
    """Decide from the tokenizer's chat template, then the checkpoint's names; base otherwise."""
    template = getattr(tokenizer, "chat_template", None)
    if template:
        return KindDecision(ModelKind.INSTRUCT, "the tokenizer has a chat template")
    names = [name, getattr(config, "_name_or_path", ""), getattr(config, "name_or_path", ""),
             getattr(tokenizer, "name_or_path", "")]
    for candidate in names:
        # Only the last path component: a folder called "chat" somewhere above says nothing.
        last = candidate.rstrip("/").rsplit("/", 1)[-1] if isinstance(candidate, str) else ""
        if last and _INSTRUCT_NAME.search(last):
            return KindDecision(ModelKind.INSTRUCT, f"its name says so ({last})")
    vocabulary = _vocabulary(tokenizer)
    markers = [t for t in _CHAT_TOKENS if t in vocabulary]
    hint = f"; its vocabulary has {markers[0]} but no template uses it" if markers else ""
    return KindDecision(ModelKind.BASE, f"no chat template{hint}")


class PromptStyle(StrEnum):
    COMPLETION = "completion"  # text whose continuation is the answer; no agent in the chat
    CHAT = "chat"  # chat messages; the chat runs the agent with its tools


# Instruction-tuned models this small follow a chat too loosely to hand back edited code or use tools.
# Measured with `make eval-actions` on the dev set, SmolLM2-135M-Instruct with chat prompts vs
# completion-shaped ones: docstring 13 % -> 100 %, explain 60 % -> 73 %, chat facts 0 % -> 40 %.
SMALL_MODEL_PARAMETERS = 1_000_000_000


@dataclass(frozen=True)
class PromptDecision:
    style: PromptStyle
    reason: str


def prompt_style(kind: str, parameters: int, preference: str = "auto") -> PromptDecision:
    """How actions and chat ask a model of ``kind`` with ``parameters`` weights (0: unknown, e.g. remote);
    ``preference`` is the user's ``promptStyle`` setting ("auto", "completion" or "chat")."""
    if preference in (PromptStyle.COMPLETION, PromptStyle.CHAT):
        return PromptDecision(PromptStyle(preference), "set by promptStyle")
    if kind == ModelKind.BASE:
        return PromptDecision(PromptStyle.COMPLETION, "a base model continues text")
    if 0 < parameters < SMALL_MODEL_PARAMETERS:
        return PromptDecision(PromptStyle.COMPLETION, f"instruction-tuned, but at {parameters / 1e6:.0f}M parameters "
                                                      "it answers completion-shaped prompts better")
    return PromptDecision(PromptStyle.CHAT, "an instruction-tuned model follows chat messages")


def remote_kind(backend: str) -> KindDecision:
    """Servers apply their model's own chat template to chat requests: treat them as instruction-tuned."""
    return KindDecision(ModelKind.INSTRUCT, f"{backend} applies the model's chat template")


def _vocabulary(tokenizer: Any) -> set[str]:
    get_vocab = getattr(tokenizer, "get_vocab", None)
    if not callable(get_vocab):
        return set()
    try:
        return set(get_vocab())
    except Exception:  # a tokenizer without a vocabulary view says nothing about the kind
        return set()
