from __future__ import annotations

from pathlib import Path

import pytest

from openagent_lsp.config import Settings
from openagent_lsp.errors import ConfigError, ModelLoadError
from openagent_lsp.llm.factory import get_llm
from openagent_lsp.llm.fim import detect_fim_format
from openagent_lsp.llm.hf import TransformersLLM
from openagent_lsp.llm.remote import OllamaLLM, OpenAICompatLLM
from openagent_lsp.llm.sources import resolve_model


def test_routing() -> None:
    settings = Settings(openai_base_url="http://127.0.0.1:9/v1", ollama_url="http://127.0.0.1:9")
    ollama = get_llm("ollama:qwen2.5-coder:1.5b", settings)
    assert isinstance(ollama, OllamaLLM) and ollama.model == "qwen2.5-coder:1.5b"
    openai = get_llm("openai:my-model", settings)
    assert isinstance(openai, OpenAICompatLLM) and openai.base_url == "http://127.0.0.1:9/v1"
    assert isinstance(get_llm("embedded", settings), TransformersLLM)
    assert isinstance(get_llm("/some/folder", settings), TransformersLLM)
    assert isinstance(get_llm("Qwen/Qwen2.5-Coder-0.5B", settings), TransformersLLM)


@pytest.mark.parametrize("name", ["", "ollama:", "openai:"])
def test_routing_rejects_incomplete_names(name: str) -> None:
    with pytest.raises(ConfigError):
        get_llm(name, Settings())


def test_unreachable_server_is_a_clear_load_error() -> None:
    llm = get_llm("openai:x", Settings(openai_base_url="http://127.0.0.1:9/v1", request_timeout_s=2))
    with pytest.raises(ModelLoadError, match="cannot reach"):
        llm.load()


def test_missing_paths_are_actionable(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="GGUF file not found"):
        resolve_model(str(tmp_path / "nope.gguf"), tmp_path)
    with pytest.raises(ModelLoadError, match="does not exist"):
        resolve_model("./no/such/folder", tmp_path)
    with pytest.raises(ModelLoadError, match="unknown embedded model"):
        resolve_model("embedded:nonexistent", tmp_path)


def test_hf_id_not_in_cache_fails_with_advice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    llm = TransformersLLM("someone/not-downloaded-model", precision="fp32", cache_dir=tmp_path)
    with pytest.raises(ModelLoadError, match="not-downloaded-model"):
        llm.load()


def test_fim_detection_from_vocabulary() -> None:
    fim = detect_fim_format({"<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "a"})
    assert fim is not None and fim.build("A", "B") == "<|fim_prefix|>A<|fim_suffix|>B<|fim_middle|>"
    assert detect_fim_format({"<fim_prefix>", "<fim_suffix>", "<fim_middle>"}).prefix == "<fim_prefix>"
    assert detect_fim_format({"<|fim_prefix|>", "x"}) is None
