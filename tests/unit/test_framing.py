"""The stdio frame reader on its own: resynchronisation after lying headers, refused absurd lengths."""

from __future__ import annotations

import io
import threading

from pygls.exceptions import JsonRpcException

from openagent_lsp.server.framing import MAX_CONTENT_LENGTH, FrameReader


def frames(data: bytes) -> list[bytes | int]:
    out: list[bytes | int] = []
    for item in FrameReader(io.BytesIO(data)).frames(threading.Event()):
        out.append(item.code if isinstance(item, JsonRpcException) else item)
    return out


def frame(body: bytes, length: int | None = None) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % (len(body) if length is None else length) + body


def test_well_formed_frames_come_out_in_order() -> None:
    assert frames(frame(b'{"a":1}') + frame(b'{"b":2}')) == [b'{"a":1}', b'{"b":2}']


def test_a_short_length_costs_that_frame_only() -> None:
    out = frames(frame(b'{"jsonrpc":"2.0","id":1}', 5) + frame(b'{"ok":true}'))
    assert out == [b'{"jso', b'{"ok":true}']


def test_missing_and_invalid_lengths_are_skipped() -> None:
    data = b"Content-Type: x\r\n\r\n{}" + b"Content-Length: abc\r\n\r\n{}" + frame(b'{"ok":1}')
    assert frames(data) == [b'{"ok":1}']


def test_an_absurd_length_is_refused_at_once() -> None:
    data = b"Content-Length: %d\r\n\r\n{}" % (MAX_CONTENT_LENGTH + 1) + frame(b'{"ok":1}')
    assert frames(data) == [-32700, b'{"ok":1}']


def test_zero_length_is_an_empty_body_not_the_end() -> None:
    assert frames(frame(b"") + frame(b"{}")) == [b"", b"{}"]


def test_a_stream_that_ends_inside_a_body_just_ends() -> None:
    assert frames(frame(b"{}") + b"Content-Length: 50\r\n\r\n{") == [b"{}"]
