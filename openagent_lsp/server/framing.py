"""Reading JSON-RPC frames from the editor: every request gets an answer, and a broken frame costs one frame.

pygls' own loop has three failure modes that a single bad message turns into a dead connection:
- a ``Content-Length`` that is too short leaves the rest of the body in the stream; the next header is
  then glued to that rest, never matches, and every later message is lost (the editor sees a hang);
- a request whose params do not fit the method's type gets no response at all (the error is raised
  while decoding, before any handler knows the id), and neither do broken JSON, non-UTF-8 bodies or
  messages without ``"jsonrpc": "2.0"``;
- a ``Content-Length`` of a terabyte makes it wait for bytes that never come.

Here the header is found wherever a line *ends* with it (so the stream resynchronises on the next
frame), lengths above ``MAX_CONTENT_LENGTH`` are refused, and each failure is answered with the
JSON-RPC error the specification names: -32700 for unparsable bodies, -32600 for invalid requests,
-32602 (with the field that is wrong) for params of the wrong shape.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import threading
from collections.abc import Iterator
from typing import Any, BinaryIO

from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInternalError,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
    JsonRpcParseError,
)
from pygls.protocol import JsonRPCProtocol

from openagent_lsp.logging import get_logger

log = get_logger(__name__)

# 10 MB documents must pass (JSON escapes can double them); a terabyte claim must not stall the reader.
MAX_CONTENT_LENGTH = 128 * 1024 * 1024
# A header line longer than this is garbage (read in pieces, never held whole).
MAX_LINE = 64 * 1024
_HEADER = re.compile(rb"Content-Length:[ \t]*(\d+)[ \t]*\r?\n\Z", re.IGNORECASE)


def _valid_id(value: Any) -> bool:
    return value is None or (isinstance(value, str | int) and not isinstance(value, bool))


class FrameReader:
    """Reads frames from a blocking binary stream in one thread of its own.

    One thread for the whole stream, not a thread-pool hop per line: with fifty documents typed in at once
    the editor sends thousands of messages a second, and three hops per message (header, blank line, body)
    left a status request waiting behind the queue for most of a second.
    """

    def __init__(self, stream: BinaryIO, max_pending: int = 1024) -> None:
        self._stream = stream
        # Back-pressure: at most this many frames read but not yet handled by the event loop.
        self._pending = threading.Semaphore(max_pending)
        # Raw reads of the file descriptor, buffered here: a thread blocked inside a BufferedReader holds
        # its lock, and the interpreter aborts at exit ("could not acquire lock for <stdin>").
        try:
            self._fd: int | None = stream.fileno()
        except (AttributeError, OSError, ValueError):
            self._fd = None
        self._buffer = bytearray()
        self._eof = False

    def _fill(self) -> bool:
        if self._eof:
            return False
        chunk = os.read(self._fd, 1 << 16) if self._fd is not None else self._stream.read1(1 << 16)  # type: ignore[attr-defined]
        if not chunk:
            self._eof = True
            return False
        self._buffer += chunk
        return True

    def readline(self, limit: int) -> bytes:
        while True:
            end = self._buffer.find(b"\n", 0, limit)
            if end >= 0:
                return self._take(end + 1)
            if len(self._buffer) >= limit or not self._fill():
                return self._take(min(limit, len(self._buffer)))

    def _take(self, n: int) -> bytes:
        data = bytes(self._buffer[:n])
        del self._buffer[:n]
        return data

    def frames(self, stop: threading.Event) -> Iterator[bytes | JsonRpcException]:
        """Bodies of well-framed messages, and the errors of frames that cannot be read, in stream order."""
        length: int | None = None
        while not stop.is_set():
            line = self.readline(MAX_LINE)
            if not line:
                return  # the editor closed the stream
            match = _HEADER.search(line)
            if match:
                if match.start() > 0 or length is not None:
                    log.warning("lsp_frame_resync", skipped_bytes=match.start())
                length = int(match.group(1))
                if length > MAX_CONTENT_LENGTH:
                    yield JsonRpcParseError(
                        f"message of {length} bytes refused: the limit is {MAX_CONTENT_LENGTH} bytes")
                    length = None
                continue
            if line.strip() or length is None:
                continue  # another header (Content-Type), or garbage between frames
            body = self._read_exactly(length)
            if len(body) < length:
                return  # the stream ended inside the body
            length = None
            yield body  # an empty body (Content-Length: 0) is a parse error, not the end

    def _read_exactly(self, n: int) -> bytes:
        while len(self._buffer) < n and self._fill():
            pass
        return self._take(min(n, len(self._buffer)))


async def read_messages(stop: threading.Event, reader: FrameReader, protocol: JsonRPCProtocol) -> None:
    """The main loop: frames read in the reader's thread, handled here on the event loop, in order."""
    loop = asyncio.get_running_loop()
    finished: asyncio.Future[None] = loop.create_future()

    def deliver(item: bytes | JsonRpcException) -> None:
        reader._pending.release()
        if isinstance(item, JsonRpcException):
            _reply_error(protocol, None, item)
        else:
            dispatch(protocol, item)

    def end() -> None:
        if not finished.done():
            finished.set_result(None)

    def run() -> None:
        try:
            for item in reader.frames(stop):
                reader._pending.acquire()
                loop.call_soon_threadsafe(deliver, item)
        except Exception as exc:  # a broken stdin ends the session like EOF does
            log.warning("lsp_input_failed", error=str(exc))
        finally:
            with contextlib.suppress(RuntimeError):  # the loop may be closed already
                loop.call_soon_threadsafe(end)

    threading.Thread(target=run, name="openagent-stdin", daemon=True).start()
    await finished


def dispatch(protocol: JsonRPCProtocol, body: bytes) -> None:
    """Decode one frame body and hand it to the protocol; answer what cannot be handled."""
    try:
        data = json.loads(body)
    except ValueError as exc:  # broken JSON, or not UTF-8 (UnicodeDecodeError is a ValueError)
        _reply_error(protocol, None, JsonRpcParseError(f"Parse error: {exc}"))
        return
    if not isinstance(data, dict):
        _reply_error(protocol, None, JsonRpcInvalidRequest("Invalid Request: a message must be a JSON object"))
        return
    msg_id = data.get("id")
    method = data.get("method")
    is_request = "id" in data and "method" in data
    if not _valid_id(msg_id):
        _reply_error(protocol, None, JsonRpcInvalidRequest(
            f"Invalid Request: id must be a string or an integer, got {type(msg_id).__name__}"))
        return
    if data.get("jsonrpc") != "2.0" or ("method" in data and not isinstance(method, str)):
        if "id" in data and "result" not in data and "error" not in data:
            _reply_error(protocol, msg_id, JsonRpcInvalidRequest(
                'Invalid Request: expected "jsonrpc": "2.0" and a string "method"'))
        else:
            log.warning("lsp_message_ignored", reason="not JSON-RPC 2.0")
        return
    if "id" not in data and "method" not in data:
        log.warning("lsp_message_ignored", reason="neither a request, a notification nor a response")
        return
    admit = getattr(protocol, "admit", None)
    if admit is not None and not admit(method, msg_id, is_request):
        return
    if "method" in data and "params" not in data:
        data["params"] = None  # JSON-RPC lets params be omitted; pygls' untyped messages require the key
    try:
        message = protocol.structure_message(data)
    except JsonRpcException as exc:
        detail = _structure_detail(exc)
        if is_request:
            _reply_error(protocol, msg_id, JsonRpcInvalidParams(f"Invalid params for {method}: {detail}"))
        elif "method" in data:
            log.warning("lsp_notification_invalid", method=method, error=detail)
        else:
            _fail_pending(protocol, msg_id, detail)
        return
    try:
        protocol.handle_message(message)
    except Exception as exc:  # a handler that raised synchronously: answer, keep serving
        log.exception("lsp_message_failed", method=method)
        if is_request:
            _reply_error(protocol, msg_id, JsonRpcInternalError(f"internal error: {type(exc).__name__}: {exc}"))


def _structure_detail(exc: JsonRpcException) -> str:
    cause = exc.__cause__
    if cause is None:
        return str(exc)
    try:
        from cattrs import transform_error

        messages = transform_error(cause)  # type: ignore[arg-type]
        return "; ".join(messages[:5]) if messages else str(cause)
    except Exception:
        return str(cause)


def _reply_error(protocol: JsonRPCProtocol, msg_id: Any, error: JsonRpcException) -> None:
    log.warning("lsp_bad_message", request_id=msg_id, code=error.code, error=error.message[:300])
    try:
        protocol._send_response(msg_id, error=error.to_response_error())
    except Exception as exc:
        log.warning("lsp_reply_failed", error=str(exc))


def _fail_pending(protocol: JsonRPCProtocol, msg_id: Any, detail: str) -> None:
    """A response from the editor that cannot be decoded still settles the server's pending request."""
    future = protocol._request_futures.pop(msg_id, None)
    log.warning("lsp_response_invalid", request_id=msg_id, error=detail)
    if future is not None and not future.done():
        future.set_exception(JsonRpcInvalidParams(f"the editor's response could not be decoded: {detail}"))
