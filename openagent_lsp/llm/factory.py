"""``get_llm``: one place that turns the ``model`` setting into a backend."""

from __future__ import annotations

from openagent_lsp.config import Settings
from openagent_lsp.errors import ConfigError
from openagent_lsp.llm.base import BaseLLM


def describe_backend(model: str) -> str:
    if model.startswith("ollama:"):
        return "ollama"
    if model.startswith("openai:"):
        return "openai"
    return "transformers"


def get_llm(name: str, settings: Settings | None = None) -> BaseLLM:
    """``ollama:NAME`` → Ollama, ``openai:NAME`` → OpenAI-compatible server, else transformers in-process
    (``embedded``, ``embedded:NAME``, a local folder, a .gguf file or a Hugging Face id in the local cache).
    Nothing is loaded here: ``load()`` does that, off the event loop."""
    settings = settings or Settings()
    name = name.strip()
    if not name:
        raise ConfigError("model: must not be empty")
    if name.startswith("ollama:"):
        from openagent_lsp.llm.remote import OllamaLLM

        model = name.split(":", 1)[1]
        if not model:
            raise ConfigError("model: 'ollama:' needs a model name, e.g. ollama:qwen2.5-coder:1.5b")
        return OllamaLLM(model, settings.ollama_url, settings.request_timeout_s)
    if name.startswith("openai:"):
        from openagent_lsp.llm.remote import OpenAICompatLLM

        model = name.split(":", 1)[1]
        if not model:
            raise ConfigError("model: 'openai:' needs a model name, e.g. openai:Qwen/Qwen2.5-Coder-7B")
        return OpenAICompatLLM(model, settings.openai_base_url, settings.openai_api_key, settings.request_timeout_s)
    from openagent_lsp.llm.hf import TransformersLLM

    return TransformersLLM(
        name,
        device=settings.device,
        precision=settings.precision,
        load_in_4bit=settings.load_in_4bit,
        cache_dir=settings.model_cache_dir or None,
        cpu_threads=settings.cpu_threads,
    )
