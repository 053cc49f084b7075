"""A real local HTTP model server that misbehaves on purpose (and records everything it receives).

It speaks enough of the OpenAI-compatible API (``/v1/models``, ``/v1/completions``,
``/v1/chat/completions``, SSE) and of Ollama's (``/api/tags``, ``/api/generate``, ``/api/chat``, NDJSON)
for the server's remote backends, and can be told to be down, busy (an HTTP status for the next N
requests), silent (hold the request until released or closed), garbage, truncated, or to reset the
connection. The answer text comes from ``script(path, body)``, so a test can play a model that reads
its prompt (and, say, obeys an injected instruction).

It runs in a thread of the test process on a real socket; ``close()`` releases every held request and
stops it.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Script = Callable[[str, dict[str, Any]], str]


@dataclass
class Received:
    path: str
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


@dataclass
class Behaviour:
    mode: str = "ok"  # ok | garbage | truncated | hold | reset | not_stream | status
    status: int = 503
    status_times: int = 0  # "status": answer ``status`` this many times, then behave as "ok"
    pieces: int = 3
    garbage: bytes = b"<html><body>502 Bad Gateway (but sent as 200)</body></html>\n\x00\xff\xfe garbage\n"


@dataclass
class FakeBackend:
    host: str = "127.0.0.1"
    port_wanted: int = 0
    model: str = "fake-model"
    script: Script = field(default=lambda _path, _body: "return value\n")
    behaviour: Behaviour = field(default_factory=Behaviour)
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.request_arrived = threading.Event()
        self.released = threading.Event()
        self._lock = threading.Lock()
        backend = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: Any) -> None:
                return None

            def do_GET(self) -> None:
                backend._record(self, b"")
                if self.path.endswith("/models"):
                    self._json({"object": "list", "data": [{"id": backend.model, "object": "model"}]})
                elif self.path.endswith("/api/tags"):
                    self._json({"models": [{"name": backend.model}]})
                else:
                    self._json({"error": "not found"}, 404)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                backend._record(self, body)
                backend._answer(self, body)

            def _json(self, obj: Any, status: int = 200) -> None:
                data = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer((self.host, self.port_wanted), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-backend", daemon=True)
        self._thread.start()

    # -- addresses -------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def openai_url(self) -> str:
        return f"{self.url}/v1"

    def close(self) -> None:
        self.released.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)

    # -- what came in ----------------------------------------------------------------------------

    def _record(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        with self._lock:
            self.received.append(Received(handler.path, body, dict(handler.headers.items())))
        self.request_arrived.set()

    def posts(self) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.body]

    # -- answers ---------------------------------------------------------------------------------

    def _answer(self, h: BaseHTTPRequestHandler, body: bytes) -> None:
        b = self.behaviour
        mode = b.mode
        if mode == "status":
            with self._lock:
                busy = b.status_times > 0
                b.status_times -= 1
            if busy:
                data = json.dumps({"error": {"message": "busy, try again"}}).encode()
                h.send_response(b.status)
                h.send_header("Content-Type", "application/json")
                h.send_header("Content-Length", str(len(data)))
                if b.status in (429, 503):
                    h.send_header("Retry-After", "0")
                h.end_headers()
                h.wfile.write(data)
                return
            mode = "ok"
        if mode == "reset":
            h.connection.shutdown(socket.SHUT_RDWR)
            h.close_connection = True
            return
        if mode == "hold":
            self.released.wait(600)
            h.close_connection = True
            return
        try:
            request = json.loads(body)
        except ValueError:
            request = {}
        text = self.script(h.path, request)
        ollama = h.path.startswith("/api/")
        chat = h.path.endswith("/chat/completions") or h.path.endswith("/api/chat")
        if mode == "not_stream":
            self._single(h, text, chat)
            return
        h.send_response(200)
        h.send_header("Content-Type", "application/x-ndjson" if ollama else "text/event-stream")
        h.send_header("Connection", "close")
        h.end_headers()
        h.close_connection = True
        if mode == "garbage":
            h.wfile.write(b.garbage)
            return
        pieces = _split(text, b.pieces)
        for i, piece in enumerate(pieces):
            h.wfile.write(_event(piece, ollama, chat, done=False))
            h.wfile.flush()
            if mode == "truncated" and i == len(pieces) // 2:
                return  # the connection closes mid-answer: no end marker
        if ollama:
            h.wfile.write(json.dumps({"done": True, "response": "", "message": {"content": ""}}).encode() + b"\n")
        else:
            h.wfile.write(_event("", ollama, chat, done=True) + b"data: [DONE]\n\n")

    def _single(self, h: BaseHTTPRequestHandler, text: str, chat: bool) -> None:
        choice = {"message": {"role": "assistant", "content": text}} if chat else {"text": text}
        data = json.dumps({"choices": [{**choice, "index": 0, "finish_reason": "stop"}]}).encode()
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)


def _split(text: str, n: int) -> list[str]:
    if not text:
        return [""]
    size = max(1, -(-len(text) // max(1, n)))
    return [text[i:i + size] for i in range(0, len(text), size)]


def _event(piece: str, ollama: bool, chat: bool, done: bool) -> bytes:
    if ollama:
        obj: dict[str, Any] = {"done": done}
        if chat:
            obj["message"] = {"role": "assistant", "content": piece}
        else:
            obj["response"] = piece
        return json.dumps(obj).encode() + b"\n"
    choice: dict[str, Any] = {"index": 0, "finish_reason": "stop" if done else None}
    if chat:
        choice["delta"] = {"content": piece} if piece else {}
    else:
        choice["text"] = piece
    return b"data: " + json.dumps({"choices": [choice]}).encode() + b"\n\n"


def non_loopback_address() -> str | None:
    """An address of this machine that is not loopback (a model server there counts as "another host")."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("10.255.255.255", 9))  # no packet is sent: this only picks the outgoing interface
            address = str(sock.getsockname()[0])
        except OSError:
            return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def closed_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on (bound, then released): connecting to it is refused."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])
