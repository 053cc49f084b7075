"""Backends that talk to a model server: Ollama and any OpenAI-compatible server.

These are how users scale past one machine (vLLM, llama.cpp server, LM Studio, ``transformers serve``).
Token counts are estimated (~4 characters a token) since the tokenizer lives on the server.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from openagent_lsp.llm.base import (
    BackendInfo,
    CancelToken,
    FimFormat,
    GenerationRequest,
    GenerationStats,
    ProgressCallback,
)
from openagent_lsp.llm.http import get_json, post_json_lines
from openagent_lsp.llm.kind import remote_kind
from openagent_lsp.llm.text import apply_stops, valid_unicode


class _RemoteLLM:
    """What both remote backends share. Chat messages go to the server's chat endpoint, which applies
    the model's own template; KV caches live on the server, so there is nothing to forget here."""

    fim_format: FimFormat | None = None
    last_stats: GenerationStats | None = None

    def __init__(self, backend: str, model: str, base_url: str, timeout: float = 60.0) -> None:
        self.name = f"{backend}:{model}"
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.loaded = False
        kind = remote_kind(backend)
        self.info = BackendInfo(backend, device="remote", source=self.base_url, kind=kind.kind.value,
                                kind_reason=kind.reason)
        from openagent_lsp.redaction import is_local_url

        self.local = is_local_url(self.base_url)

    def count_tokens(self, text: str) -> int:
        return max(1, len(text) // 4)

    def forget(self, key: str) -> None:
        return None

    def generate(self, request: GenerationRequest, cancel: CancelToken | None = None) -> str:
        return "".join(self.stream(request, cancel))

    def stream(self, request: GenerationRequest, cancel: CancelToken | None = None) -> Iterator[str]:
        # Stops are applied here as well: not every server honours them exactly.
        yield from apply_stops(self._stream(self._outgoing(request), cancel), request.stop)

    def _outgoing(self, request: GenerationRequest) -> GenerationRequest:
        """What may leave this machine: secrets masked unless the server is on loopback. Every prompt and
        message also becomes valid Unicode (an editor may send half a surrogate pair)."""
        from dataclasses import replace

        from openagent_lsp.redaction import default_redactor

        clean = (lambda t: valid_unicode(t)) if self.local else (lambda t: default_redactor().redact(valid_unicode(t)))
        messages = None
        if request.messages is not None:
            messages = [{**m, "content": clean(m["content"])} if isinstance(m.get("content"), str) else m
                        for m in request.messages]
        return replace(request, prompt=clean(request.prompt) if request.prompt else request.prompt, messages=messages)

    def _stream(self, request: GenerationRequest, cancel: CancelToken | None) -> Iterator[str]:
        raise NotImplementedError


class OllamaLLM(_RemoteLLM):
    """Ollama's native API; completions use ``raw`` mode so no chat template is applied to code."""

    def __init__(self, model: str, base_url: str = "http://127.0.0.1:11434", timeout: float = 60.0) -> None:
        super().__init__("ollama", model, base_url, timeout)

    def load(self, progress: ProgressCallback | None = None) -> None:
        tags = get_json(f"{self.base_url}/api/tags", {}, self.timeout)
        names = {m.get("name", "") for m in tags.get("models", [])}
        if self.model not in names and f"{self.model}:latest" not in names:
            from openagent_lsp.errors import ModelLoadError

            raise ModelLoadError(f"Ollama has no model {self.model!r}; run `ollama pull {self.model}`")
        self.loaded = True

    def _stream(self, request: GenerationRequest, cancel: CancelToken | None) -> Iterator[str]:
        options: dict[str, Any] = {"temperature": request.temperature, "num_predict": request.max_new_tokens}
        if request.stop:
            options["stop"] = request.stop
        if request.messages is not None:
            url = f"{self.base_url}/api/chat"
            payload: dict[str, Any] = {"model": self.model, "messages": request.messages, "stream": True,
                                       "options": options}
        else:
            url = f"{self.base_url}/api/generate"
            payload = {"model": self.model, "prompt": request.prompt, "raw": True, "stream": True,
                       "options": options}
        for obj in post_json_lines(url, payload, {}, self.timeout, cancel, is_end=_ollama_end):
            if "error" in obj:
                from openagent_lsp.errors import ModelLoadError

                raise ModelLoadError(f"Ollama: {obj['error']}")
            text = obj.get("response") if request.messages is None else _field(obj.get("message"), "content")
            if isinstance(text, str) and text:
                yield text


class OpenAICompatLLM(_RemoteLLM):
    """``/v1/completions`` for code, ``/v1/chat/completions`` for chat, both streamed as SSE."""

    def __init__(self, model: str, base_url: str, api_key: str = "", timeout: float = 60.0) -> None:
        super().__init__("openai", model, base_url, timeout)
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}

    def load(self, progress: ProgressCallback | None = None) -> None:
        listing = get_json(f"{self.base_url}/models", self._headers, self.timeout)
        ids = {m.get("id") for m in listing.get("data", [])}
        if ids and self.model not in ids:
            from openagent_lsp.errors import ModelLoadError

            listed = ", ".join(sorted(ids))[:300]
            raise ModelLoadError(f"the server at {self.base_url} does not list model {self.model!r} (it has: {listed})")
        self.loaded = True

    def _stream(self, request: GenerationRequest, cancel: CancelToken | None) -> Iterator[str]:
        common: dict[str, Any] = {"model": self.model, "max_tokens": request.max_new_tokens,
                                  "temperature": request.temperature, "stream": True}
        if request.stop:
            common["stop"] = request.stop[:4]  # the OpenAI API takes at most four
        chat = request.messages is not None
        if chat:
            url, payload = f"{self.base_url}/chat/completions", {**common, "messages": request.messages}
        else:
            url, payload = f"{self.base_url}/completions", {**common, "prompt": request.prompt}
        for obj in post_json_lines(url, payload, self._headers, self.timeout, cancel, sse=True, is_end=_openai_end):
            if "error" in obj:
                from openagent_lsp.errors import ModelLoadError

                raise ModelLoadError(f"{self.base_url}: {_field(obj.get('error'), 'message') or obj['error']}")
            choices = obj.get("choices")
            for choice in choices if isinstance(choices, list) else []:
                # Streamed chat: delta.content; streamed completion: text; a server that ignored
                # "stream" answers one object with message.content.
                text = _field(choice, "text") if not chat else (
                    _field(_field(choice, "delta"), "content") or _field(_field(choice, "message"), "content"))
                if isinstance(text, str) and text:
                    yield text


def _field(obj: Any, key: str) -> Any:
    """``obj[key]`` when ``obj`` is an object; a server that sends another shape gets no crash."""
    return obj.get(key) if isinstance(obj, dict) else None


def _ollama_end(obj: dict[str, Any]) -> bool:
    return obj.get("done") is True or "error" in obj


def _openai_end(obj: dict[str, Any]) -> bool:
    if "error" in obj:
        return True
    choices = obj.get("choices")
    return isinstance(choices, list) and bool(choices) and all(
        isinstance(c, dict) and c.get("finish_reason") for c in choices)
