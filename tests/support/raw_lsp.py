"""A raw JSON-RPC connection to the real server over stdio: bytes in, parsed frames out.

pytest-lsp only sends well-formed messages; hostile-input tests need to send anything (broken JSON,
lying ``Content-Length`` headers, non-UTF-8 bodies, duplicate ids) and still read every answer. A
reader thread parses the server's frames into responses (by id), notifications and server requests,
which it answers at once (``answer`` decides the result; the default is null: "no", "not applied").

The server runs in its own process group; ``close()`` kills the group and waits, so nothing it
started outlives the test.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

SERVER_COMMAND = [sys.executable, "-m", "openagent_lsp"]


def frame(body: bytes | str, length: int | None = None, extra_headers: str = "") -> bytes:
    data = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    n = len(data) if length is None else length
    return f"Content-Length: {n}\r\n{extra_headers}\r\n".encode() + data


def encode(message: Any) -> bytes:
    return frame(json.dumps(message))


def id_key(msg_id: Any) -> str:
    """Responses are matched on the JSON spelling of the id: 1 and "1" are different requests."""
    return json.dumps(msg_id, sort_keys=True)


class ServerDied(RuntimeError):
    pass


class RawServer:
    def __init__(
        self,
        env: dict[str, str],
        command: list[str] | None = None,
        cwd: Path | None = None,
        stderr_path: Path | None = None,
        answer: Callable[[str, Any], Any] | None = None,
    ) -> None:
        self.command = command or SERVER_COMMAND
        self.env = env
        self.cwd = cwd
        self.stderr_path = stderr_path
        self.answer = answer or (lambda _method, _params: None)
        self.responses: dict[str, list[dict[str, Any]]] = {}
        self.notifications: list[dict[str, Any]] = []
        self.server_requests: list[dict[str, Any]] = []
        self.unparsed: list[bytes] = []
        self._cond = threading.Condition()
        self._next_id = 1_000_000
        self._stderr: IO[bytes] | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None
        self._write_lock = threading.Lock()

    # -- life ------------------------------------------------------------------------------------

    def start(self) -> RawServer:
        self._stderr = open(self.stderr_path, "ab") if self.stderr_path else open(os.devnull, "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
            env=self.env, cwd=self.cwd, start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read_loop, name="raw-lsp-reader", daemon=True)
        self._reader.start()
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the server's whole process group (it leads its own session)."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, sig)

    def close(self, timeout: float = 10.0) -> int | None:
        """Kill the process group, wait for the server and its reader; returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.kill(signal.SIGKILL)
        # Members of the group that outlived the leader (none should) go too.
        self.kill(signal.SIGKILL)
        try:
            code = self.proc.wait(timeout)
        finally:
            for stream in (self.proc.stdin, self.proc.stdout):
                with contextlib.suppress(Exception):
                    if stream is not None:
                        stream.close()
            if self._reader is not None:
                self._reader.join(timeout)
            if self._stderr is not None:
                self._stderr.close()
        return code

    def wait_exit(self, timeout: float) -> int | None:
        assert self.proc is not None
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    # -- sending ---------------------------------------------------------------------------------

    def send_raw(self, data: bytes) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        if not self.alive():
            raise ServerDied(f"server exited with {self.proc.returncode}")
        with self._write_lock:
            try:
                self.proc.stdin.write(data)
                self.proc.stdin.flush()
            except (BrokenPipeError, ValueError) as exc:
                raise ServerDied(f"server closed its input: {exc}") from exc

    def send(self, message: Any) -> None:
        self.send_raw(encode(message))

    def new_id(self) -> int:
        with self._cond:
            self._next_id += 1
            return self._next_id

    def notify(self, method: str, params: Any = None) -> None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)

    def request(self, method: str, params: Any = None, timeout: float = 30.0) -> dict[str, Any]:
        """Send a request and wait for its response (the whole response object: result or error)."""
        msg_id = self.new_id()
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": msg_id, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        return self.wait_response(msg_id, timeout)

    # -- receiving -------------------------------------------------------------------------------

    def wait_response(self, msg_id: Any, timeout: float = 30.0, count: int = 1) -> dict[str, Any]:
        """The ``count``-th response carrying ``msg_id``; TimeoutError if it does not come."""
        key = id_key(msg_id)
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.responses.get(key, ())) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no response to id {msg_id} within {timeout} s")
                if not self.alive() and self._reader is not None and not self._reader.is_alive():
                    raise ServerDied(f"server exited with {self.proc.returncode if self.proc else None}")
                self._cond.wait(min(remaining, 0.5))
            return self.responses[key][count - 1]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.5))
            return True

    def response_count(self, msg_id: Any) -> int:
        with self._cond:
            return len(self.responses.get(id_key(msg_id), ()))

    def null_id_errors(self) -> list[dict[str, Any]]:
        with self._cond:
            return list(self.responses.get(id_key(None), ()))

    def _read_loop(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        stream = self.proc.stdout
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    with self._cond:
                        self._cond.notify_all()
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii", "replace").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            if length is None:
                continue
            body = stream.read(length)
            try:
                message = json.loads(body)
            except ValueError:
                with self._cond:
                    self.unparsed.append(body)
                continue
            self._dispatch(message)

    def _dispatch(self, message: Any) -> None:
        if not isinstance(message, dict):
            with self._cond:
                self.unparsed.append(json.dumps(message).encode())
            return
        if "method" in message and "id" in message:
            with self._cond:
                self.server_requests.append(message)
            try:
                result = self.answer(message["method"], message.get("params"))
                reply = {"jsonrpc": "2.0", "id": message["id"], "result": result}
            except Exception as exc:  # the test's answer function refused
                reply = {"jsonrpc": "2.0", "id": message["id"], "error": {"code": -32603, "message": str(exc)}}
            with contextlib.suppress(ServerDied):
                self.send(reply)
        elif "method" in message:
            with self._cond:
                self.notifications.append(message)
                self._cond.notify_all()
        else:
            with self._cond:
                self.responses.setdefault(id_key(message.get("id")), []).append(message)
                self._cond.notify_all()


def initialize_params(root: Path, inline: bool = True, options: Any = None) -> dict[str, Any]:
    text_document: dict[str, Any] = {"synchronization": {"dynamicRegistration": False}}
    if inline:
        text_document["inlineCompletion"] = {"dynamicRegistration": False}
    return {
        "processId": os.getpid(),
        "rootUri": root.as_uri(),
        "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
        "capabilities": {
            "textDocument": text_document,
            "window": {"workDoneProgress": True, "showMessage": {}},
            "workspace": {"applyEdit": True},
        },
        "initializationOptions": options,
    }


def start_initialized(env: dict[str, str], root: Path, *, inline: bool = True, options: Any = None,
                      **kwargs: Any) -> RawServer:
    server = RawServer(env, **kwargs).start()
    try:
        reply = server.request("initialize", initialize_params(root, inline, options), timeout=60)
        assert "result" in reply, reply
        server.notify("initialized", {})
    except BaseException:
        server.close()
        raise
    return server


def wait_model(server: RawServer, timeout: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        status = server.request("openagent/status", {}, timeout=timeout)["result"]
        state = status["model"]["state"]
        if state in ("ready", "error") or time.monotonic() > deadline:
            return status
        server.wait_for(lambda: False, 0.1)
