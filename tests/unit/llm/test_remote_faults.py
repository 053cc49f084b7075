"""Remote backends against a real local HTTP server that misbehaves on purpose: down, busy, silent,
garbage, truncated. Each ends in a clear error (or a retried success where retrying is safe), never a hang."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from openagent_lsp.errors import GenerationCancelled, ModelLoadError
from openagent_lsp.llm.base import CancelToken, GenerationRequest
from openagent_lsp.llm.http import RetryPolicy, get_json, post_json_lines
from openagent_lsp.llm.remote import OllamaLLM, OpenAICompatLLM
from tests.support.fake_backend import Behaviour, FakeBackend, closed_port

pytestmark = pytest.mark.timeout(120)

FAST_RETRY = RetryPolicy(attempts=3, base_delay_s=0.01, max_delay_s=0.05)


@pytest.fixture
def backend() -> Iterator[FakeBackend]:
    fake = FakeBackend(script=lambda _path, _body: "x = compute(1)\n")
    yield fake
    fake.close()


def openai(backend: FakeBackend, timeout: float = 30.0) -> OpenAICompatLLM:
    llm = OpenAICompatLLM(backend.model, backend.openai_url, timeout=timeout)
    llm.load()
    return llm


COMPLETE = GenerationRequest(prompt="x = ", max_new_tokens=16)
CHAT = GenerationRequest(messages=[{"role": "user", "content": "hi"}], max_new_tokens=16)


def test_a_well_behaved_server_streams_the_whole_answer(backend: FakeBackend) -> None:
    llm = openai(backend)
    assert llm.generate(COMPLETE) == "x = compute(1)\n"
    assert llm.generate(CHAT) == "x = compute(1)\n"
    ollama = OllamaLLM(backend.model, backend.url)
    ollama.load()
    assert ollama.generate(COMPLETE) == "x = compute(1)\n" and ollama.generate(CHAT) == "x = compute(1)\n"


def test_a_server_that_is_down_is_named_after_the_retries() -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    with pytest.raises(ModelLoadError, match=r"cannot reach .*Is the server running"):
        get_json(f"{url}/models", {}, 5.0, FAST_RETRY)
    with pytest.raises(ModelLoadError, match=r"cannot reach"):
        list(post_json_lines(f"{url}/completions", {}, {}, 5.0, None, sse=True, retry=FAST_RETRY))


def test_a_connection_reset_before_the_answer_is_retried_then_reported(backend: FakeBackend) -> None:
    backend.behaviour = Behaviour(mode="reset")
    with pytest.raises(ModelLoadError, match="cannot reach"):
        list(post_json_lines(f"{backend.openai_url}/completions", {"prompt": "x"}, {}, 5.0, None, sse=True,
                             retry=FAST_RETRY))
    assert len(backend.posts()) == 3  # three tries, then the error


def test_busy_answers_are_retried_with_backoff_and_then_succeed(backend: FakeBackend) -> None:
    llm = openai(backend)
    backend.behaviour = Behaviour(mode="status", status=503, status_times=2)
    assert llm.generate(COMPLETE) == "x = compute(1)\n"
    assert len(backend.posts()) == 3
    backend.behaviour = Behaviour(mode="status", status=429, status_times=99)
    with pytest.raises(ModelLoadError, match="HTTP 429"):
        llm.generate(COMPLETE)


def test_a_client_error_is_not_retried(backend: FakeBackend) -> None:
    llm = openai(backend)
    before = len(backend.posts())
    backend.behaviour = Behaviour(mode="status", status=400, status_times=99)
    with pytest.raises(ModelLoadError, match=r"HTTP 400.*busy, try again"):
        llm.generate(COMPLETE)
    assert len(backend.posts()) == before + 1


def test_a_silent_server_ends_in_a_timeout_error(backend: FakeBackend) -> None:
    llm = openai(backend, timeout=1.0)
    backend.behaviour = Behaviour(mode="hold")
    with pytest.raises(ModelLoadError, match=r"did not answer within 1 s"):
        llm.generate(COMPLETE)
    assert len(backend.posts()) == 1  # a slow server is not asked again


def test_cancelling_a_request_to_a_silent_server_returns_at_once(backend: FakeBackend) -> None:
    llm = openai(backend, timeout=600.0)
    backend.behaviour = Behaviour(mode="hold")
    cancel = CancelToken()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            llm.generate(COMPLETE, cancel)
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    assert backend.request_arrived.wait(30)
    cancel.cancel("superseded")
    worker.join(30)  # well below the 600 s socket timeout: the cancel closed the socket
    assert not worker.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], GenerationCancelled)


def test_garbage_is_an_error_that_quotes_it(backend: FakeBackend) -> None:
    llm = openai(backend)
    backend.behaviour = Behaviour(mode="garbage")
    with pytest.raises(ModelLoadError, match=r"not a model's stream.*502 Bad Gateway"):
        llm.generate(COMPLETE)
    ollama = OllamaLLM(backend.model, backend.url)
    with pytest.raises(ModelLoadError, match="not a model's stream"):
        ollama.generate(CHAT)


@pytest.mark.parametrize("api", ["openai", "ollama"])
def test_a_truncated_stream_is_an_error_not_a_short_answer(backend: FakeBackend, api: str) -> None:
    llm = openai(backend) if api == "openai" else OllamaLLM(backend.model, backend.url)
    backend.behaviour = Behaviour(mode="truncated", pieces=4)
    received: list[str] = []
    with pytest.raises(ModelLoadError, match="ended before the answer was complete"):
        for piece in llm.stream(CHAT):
            received.append(piece)
    assert received and "".join(received) != "x = compute(1)\n"  # what came is shown, then the error
    assert len(backend.posts()) == 1  # never retried after the first byte: nothing is said twice


def test_a_server_that_ignores_stream_is_understood(backend: FakeBackend) -> None:
    llm = openai(backend)
    backend.behaviour = Behaviour(mode="not_stream")
    assert llm.generate(CHAT) == "x = compute(1)\n"
    assert llm.generate(COMPLETE) == "x = compute(1)\n"
