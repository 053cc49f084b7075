"""Find the fill-in-the-middle format from the tokenizer's special tokens, never from a model name."""

from __future__ import annotations

from collections.abc import Collection

from openagent_lsp.llm.base import FimFormat

# (prefix, suffix, middle) markers, in prefix-suffix-middle order, of the families we know.
KNOWN_FIM_TOKENS: tuple[tuple[str, str, str], ...] = (
    ("<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"),  # Qwen2.5-Coder, CodeGemma, our test model
    ("<fim_prefix>", "<fim_suffix>", "<fim_middle>"),  # StarCoder / StarCoder2 / SantaCoder
    ("<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>"),  # noqa: RUF001 - DeepSeek-Coder uses these exact glyphs
    ("<PRE>", "<SUF>", "<MID>"),  # CodeLlama
)


def detect_fim_format(vocabulary: Collection[str]) -> FimFormat | None:
    """The first known FIM triple whose three tokens are all in the vocabulary, else None."""
    for prefix, suffix, middle in KNOWN_FIM_TOKENS:
        if prefix in vocabulary and suffix in vocabulary and middle in vocabulary:
            return FimFormat(prefix, suffix, middle)
    return None
