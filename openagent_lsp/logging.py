"""structlog JSON logs on stderr, never stdout (stdout carries the protocol on stdio).

Warnings and errors are also handed to an optional *sink* (the server forwards them to
``window/logMessage``). Until the server installs a sink — i.e. before ``initialized`` — they are
buffered so nothing said during start-up is lost.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import threading
from collections import deque
from collections.abc import Callable, MutableMapping
from typing import Any

Sink = Callable[[str, str], None]  # (level, message)

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


class EditorLogBridge:
    """A structlog processor that copies WARN+ events to the editor."""

    def __init__(self, max_buffer: int = 200) -> None:
        self._sink: Sink | None = None
        self._buffer: deque[tuple[str, str]] = deque(maxlen=max_buffer)
        self._lock = threading.Lock()

    def set_sink(self, sink: Sink | None) -> None:
        with self._lock:
            self._sink = sink
            pending = list(self._buffer) if sink else []
            self._buffer.clear()
        for level, message in pending:
            self._safe_send(sink, level, message)

    def __call__(self, _logger: Any, method: str, event_dict: MutableMapping[str, Any]) -> Any:
        if method in ("warning", "warn", "error", "exception", "critical"):
            level = "error" if method in ("error", "exception", "critical") else "warning"
            extras = " ".join(
                f"{k}={v}" for k, v in event_dict.items() if k not in ("event", "timestamp", "level")
            )
            message = f"{event_dict.get('event', '')} {extras}".strip()
            with self._lock:
                sink = self._sink
                if sink is None:
                    self._buffer.append((level, message))
            if sink is not None:
                self._safe_send(sink, level, message)
        return event_dict

    @staticmethod
    def _safe_send(sink: Sink | None, level: str, message: str) -> None:
        if sink is None:
            return
        with contextlib.suppress(Exception):  # the editor bridge must never break logging
            sink(level, message)


editor_bridge = EditorLogBridge()


_config: dict[str, Any] = {"level": "info", "stream": None, "done": False}
_config_lock = threading.Lock()


def configure_logging(level: str = "info", stream: Any = None) -> None:
    """Choose the level and stream. structlog itself is set up on the first event that is logged:
    importing it (and the libraries it pulls in) is not on the path to answering ``initialize``."""
    with _config_lock:
        _config.update(level=level if level in _LEVELS else "info", stream=stream, done=False)
    # Libraries using stdlib logging (pygls, transformers) go to stderr, never stdout.
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(_JsonFormatter())
    root.addHandler(handler)
    root.setLevel(max(_LEVELS.get(level, logging.INFO), logging.WARNING))


def _structlog() -> Any:
    import structlog

    with _config_lock:
        if not _config["done"]:
            level = _config["level"]
            structlog.configure(
                processors=[
                    structlog.contextvars.merge_contextvars,
                    structlog.processors.add_log_level,
                    structlog.processors.TimeStamper(fmt="iso", utc=True),
                    redact_event,
                    editor_bridge,
                    structlog.processors.format_exc_info,
                    redact_event,  # the traceback text, too
                    structlog.processors.JSONRenderer(),
                ],
                wrapper_class=structlog.make_filtering_bound_logger(_LEVELS[level]),
                # structlog's default prints to stdout, which would corrupt the protocol stream.
                logger_factory=structlog.PrintLoggerFactory(file=_config["stream"] or sys.stderr),
                cache_logger_on_first_use=False,
            )
            _config["done"] = True
    return structlog


def redact_event(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> Any:
    """Secrets never reach a log line or the editor's log (``openagent_lsp.redaction``)."""
    from openagent_lsp.redaction import default_redactor

    redactor = default_redactor()
    for key, value in list(event_dict.items()):
        if isinstance(value, str):
            event_dict[key] = redactor.redact(value)
        elif isinstance(value, dict | list | tuple):
            event_dict[key] = redactor.redact_obj(value)
        elif isinstance(value, BaseException):
            event_dict[key] = redactor.redact(repr(value))
    return event_dict


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        from openagent_lsp.redaction import redact

        message = record.getMessage()
        if record.exc_info:
            message = f"{message}\n{self.formatException(record.exc_info)}"
        return json.dumps({"event": redact(message), "logger": record.name, "level": record.levelname.lower()})


class Logger:
    """structlog's API (``log.info("event", key=value)``), resolved on the first enabled event."""

    def __init__(self, name: str) -> None:
        self._name = name

    def _emit(self, method: str, level: int, event: str, kw: dict[str, Any]) -> None:
        if level < _LEVELS[_config["level"]]:
            return
        getattr(_structlog().get_logger(self._name), method)(event, **kw)

    def debug(self, event: str, **kw: Any) -> None:
        self._emit("debug", logging.DEBUG, event, kw)

    def info(self, event: str, **kw: Any) -> None:
        self._emit("info", logging.INFO, event, kw)

    def warning(self, event: str, **kw: Any) -> None:
        self._emit("warning", logging.WARNING, event, kw)

    def error(self, event: str, **kw: Any) -> None:
        self._emit("error", logging.ERROR, event, kw)

    def exception(self, event: str, **kw: Any) -> None:
        self._emit("exception", logging.ERROR, event, kw)


def get_logger(name: str) -> Logger:
    return Logger(name)
