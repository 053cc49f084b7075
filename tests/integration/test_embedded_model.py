"""The embedded model from PyPI, loaded through the real GGUF conversion path (slow: ~1-2 min cold)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from openagent_lsp.llm.base import GenerationRequest
from openagent_lsp.llm.hf import TransformersLLM

pytestmark = pytest.mark.slow


def test_embedded_model_converts_once_and_completes_code(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cold = TransformersLLM("embedded", precision="fp32", cache_dir=cache)
    cold.load()
    assert cold.info.converted is True
    assert (cache / "gemma3-270m" / "hf" / ".openagent-converted").exists()
    del cold

    warm = TransformersLLM("embedded", precision="fp32", cache_dir=cache)
    warm.load()
    assert warm.info.converted is False
    prompt = "def fibonacci(n):\n"
    body = warm.generate(GenerationRequest(prompt=prompt, max_new_tokens=40, stop=["\ndef ", "\nclass "]))
    # The completion must parse as code once the function is closed off at a statement boundary.
    lines = (prompt + body).splitlines()
    for end in range(len(lines), 1, -1):
        try:
            ast.parse("\n".join(lines[:end]))
            break
        except SyntaxError:
            continue
    else:
        pytest.fail(f"no prefix of the completion parses as Python: {body!r}")
    assert end >= 2, body
