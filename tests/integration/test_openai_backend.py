"""OpenAICompatLLM against a real OpenAI-compatible server: ``transformers serve`` on 127.0.0.1, offline.

The server serves the tiny test model from a local folder. That folder gets a minimal chat template
(the tiny tokenizer has none, and ``/v1/chat/completions`` needs one). The server is started once for
the module on a free port and killed at the end.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from openagent_lsp.errors import GenerationCancelled, ModelLoadError
from openagent_lsp.llm.base import CancelToken, GenerationRequest
from openagent_lsp.llm.remote import OpenAICompatLLM

CLI = Path(sys.executable).with_name("transformers")
CHAT_TEMPLATE = (
    "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}assistant:{% endif %}"
)
PROMPT = "def parse_args(argv):\n    "

pytestmark = pytest.mark.skipif(not CLI.exists(), reason="needs the transformers CLI (transformers[serving])")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _copy_until_listening(proc: subprocess.Popen[bytes], log: IO[bytes], listening: threading.Event,
                          settled: threading.Event) -> None:
    """Copy the server's output into ``log``; set ``listening`` when uvicorn says it listens (progress bars
    end their lines with \\r, so the output is searched, not read line by line)."""
    assert proc.stdout is not None
    seen = b""
    while chunk := os.read(proc.stdout.fileno(), 4096):
        log.write(chunk)
        seen = (seen + chunk)[-4096:]
        if not listening.is_set() and b"Uvicorn running on" in seen:
            listening.set()
            settled.set()
    settled.set()


@pytest.fixture(scope="module")
def served_model(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    folder = tmp_path_factory.mktemp("served") / "tiny"
    shutil.copytree(tiny_model_dir, folder)
    (folder / "chat_template.jinja").write_text(CHAT_TEMPLATE)
    port = _free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "TOKENIZERS_PARALLELISM": "false"}
    log = (folder.parent / "serve.log").open("wb")
    # --log-level info: uvicorn says when it listens, and the test waits for exactly that line.
    proc = subprocess.Popen(
        [str(CLI), "serve", str(folder), "--host", "127.0.0.1", "--port", str(port), "--device", "cpu",
         "--dtype", "float32", "--log-level", "info"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, start_new_session=True,
    )
    listening = threading.Event()
    settled = threading.Event()  # listening, or the process's output ended (it exited)
    reader = threading.Thread(target=_copy_until_listening, args=(proc, log, listening, settled), daemon=True)
    reader.start()
    base = f"http://127.0.0.1:{port}/v1"
    try:
        if not settled.wait(120):
            pytest.fail("transformers serve did not start listening within 120 s")
        if not listening.is_set():
            proc.wait(10)
            log.flush()
            pytest.fail(f"transformers serve exited ({proc.returncode}): "
                        f"{(folder.parent / 'serve.log').read_text()[-2000:]}")
        with urllib.request.urlopen(f"{base}/models", timeout=30) as reply:
            assert reply.status == 200
        yield base, str(folder)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        reader.join(10)  # its output has ended: the log can close
        log.close()


@pytest.fixture
def llm(served_model: tuple[str, str]) -> OpenAICompatLLM:
    base, model = served_model
    backend = OpenAICompatLLM(model, base, timeout=60)
    backend.load()
    return backend


def test_load_finds_the_served_model(served_model: tuple[str, str]) -> None:
    base, model = served_model
    backend = OpenAICompatLLM(model, base, timeout=30)
    backend.load()
    assert backend.loaded
    assert backend.name == f"openai:{model}"


def test_load_rejects_a_model_the_server_does_not_list(served_model: tuple[str, str]) -> None:
    base, _model = served_model
    with pytest.raises(ModelLoadError, match="does not list model 'no-such-model'"):
        OpenAICompatLLM("no-such-model", base, timeout=30).load()


def test_streaming_completion_arrives_in_several_pieces(llm: OpenAICompatLLM) -> None:
    pieces = list(llm.stream(GenerationRequest(prompt=PROMPT, max_new_tokens=16)))
    assert len(pieces) >= 3
    assert all(isinstance(p, str) and p for p in pieces)
    # Greedy: the same request gives the same text.
    assert "".join(pieces) == llm.generate(GenerationRequest(prompt=PROMPT, max_new_tokens=16))


def test_max_new_tokens_bounds_the_output(llm: OpenAICompatLLM) -> None:
    short = llm.generate(GenerationRequest(prompt=PROMPT, max_new_tokens=2))
    long = llm.generate(GenerationRequest(prompt=PROMPT, max_new_tokens=24))
    assert short and len(short) < len(long)
    assert long.startswith(short)


def test_chat_completion_streams_the_assistant_text(llm: OpenAICompatLLM) -> None:
    messages = [{"role": "user", "content": "Write a function."}]
    request = GenerationRequest(messages=messages, max_new_tokens=12)
    pieces = list(llm.stream(request))
    assert len(pieces) >= 2
    assert "".join(pieces).strip()


def test_stop_strings_end_the_text_before_the_stop(llm: OpenAICompatLLM) -> None:
    full = llm.generate(GenerationRequest(prompt=PROMPT, max_new_tokens=24))
    # Pick a stop string from the middle of what the model really says.
    cut = len(full) // 2
    stop = full[cut:cut + 2]
    expected = full[: full.find(stop)]
    stopped = llm.generate(GenerationRequest(prompt=PROMPT, max_new_tokens=24, stop=[stop]))
    assert stopped == expected
    assert stop not in stopped


def test_cancel_mid_stream_stops_reading(llm: OpenAICompatLLM) -> None:
    cancel = CancelToken()
    received: list[str] = []
    with pytest.raises(GenerationCancelled):
        for piece in llm.stream(GenerationRequest(prompt=PROMPT, max_new_tokens=64), cancel):
            received.append(piece)
            if len(received) == 2:
                cancel.cancel("user typed")
    assert len(received) == 2


def test_a_server_that_is_down_gives_a_clear_error() -> None:
    port = _free_port()  # nothing listens there
    backend = OpenAICompatLLM("tiny", f"http://127.0.0.1:{port}/v1", timeout=5)
    with pytest.raises(ModelLoadError, match=r"cannot reach .*Is the server running"):
        backend.load()
    with pytest.raises(ModelLoadError, match="cannot reach"):
        backend.generate(GenerationRequest(prompt="x", max_new_tokens=4))
