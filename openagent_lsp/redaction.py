"""Secrets never leave: the values of secret-looking environment variables, the entries of ``.env`` files
and well-known token shapes are masked in everything that leaves the process for someone else — prompts
to a model server that is not on this machine, logs (stderr and ``window/logMessage``), messages and
errors shown in the editor, chat history shown back, and audit records (``redact_record``).

Masking is length-preserving (each character becomes ``*``, line breaks stay), so offsets, line numbers
and token budgets computed on the original still hold. It never touches what is written to the user's
files: it is applied only where text leaves.

Why values *and* shapes: a value read from the environment or a ``.env`` file is caught wherever it
appears, even without a recognisable shape; a shape (a GitHub token, a private key block, a password in
a connection string, ``API_KEY = "..."``) is caught even when the value came from somewhere we did not
read.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import re
import threading
import urllib.parse
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

MASK = "*"
# Shorter values are too likely to be ordinary words ("true", "8000") to be masked everywhere.
MIN_VALUE_LENGTH = 8
MIN_NAMED_VALUE_LENGTH = 6
MAX_ENV_FILE_BYTES = 256 * 1024

_SECRET_NAME = re.compile(
    r"SECRET|TOKEN|PASSW(?:OR)?D|PASSPHRASE|PWD|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL|AUTH|"
    r"SESSION_?KEY|SIGNING_?KEY|ENCRYPTION_?KEY|CLIENT_?KEY|DSN|CONN(?:ECTION)?_?STR|WEBHOOK",
    re.IGNORECASE,
)
_NOT_SECRET_NAMES = frozenset({"PWD", "OLDPWD", "AUTHOR", "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "XAUTHORITY"})

_NAME_WORDS = (r"(?:secret|token|passw(?:or)?d|passphrase|api_?key|access_?key|private_?key|credentials?|"
               r"auth_?key|signing_?key|client_?secret)")

# (name, pattern, group to mask: 0 = the whole match)
_PATTERNS: list[tuple[str, re.Pattern[str], int]] = [
    ("private key", re.compile(r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----.*?"
                               r"(?:-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)", re.DOTALL), 0),
    ("aws access key", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}\b"), 0),
    ("github token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,255}|github_pat_[A-Za-z0-9_]{22,255})\b"), 0),
    ("gitlab token", re.compile(r"\b(?:glpat|gldt|glptt|glrt|glsoat)-[A-Za-z0-9_\-]{20,}\b"), 0),
    ("slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9\-]{10,}\b"), 0),
    ("api key", re.compile(r"\bsk-(?:proj-|ant-|live-)?[A-Za-z0-9_\-]{20,}\b"), 0),
    ("stripe key", re.compile(r"\b(?:sk|rk|pk)_(?:live|test)_[0-9A-Za-z]{16,}\b"), 0),
    ("google api key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"), 0),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"), 0),
    # scheme://user:PASSWORD@host — only the password.
    ("password in url", re.compile(r"\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@'\"]+:([^\s@/'\"]+)@"), 1),
    # name_with_secret = "value" / "api_key": "value" (a quoted literal, so code like token = next(it) stays).
    ("secret literal", re.compile(
        r"(?i)\b[A-Za-z0-9_.\-]*" + _NAME_WORDS + r"[A-Za-z0-9_.\-]*[\"']?\s*(?:=|:|=>)\s*[bru]?([\"'])"
        r"([^\s\"']{" + str(MIN_NAMED_VALUE_LENGTH) + r",})\1"), 2),
    # NAME_WITH_SECRET=value on its own line (.env, shell, CI settings) — upper-case names only.
    ("secret setting", re.compile(
        r"(?m)^[ \t]*(?:export[ \t]+)?[A-Z0-9_]*" + _NAME_WORDS.upper() + r"[A-Z0-9_]*[ \t]*[=:][ \t]*"
        r"([^\s\"']{" + str(MIN_NAMED_VALUE_LENGTH) + r",})"), 1),
]


def mask(text: str) -> str:
    """``text`` with every character but line breaks replaced by ``*`` (same length, same lines)."""
    return re.sub(r"[^\r\n]", MASK, text)


def is_secret_name(name: str) -> bool:
    upper = name.upper()
    return upper not in _NOT_SECRET_NAMES and _SECRET_NAME.search(upper) is not None


def parse_env_file(text: str) -> dict[str, str]:
    """``KEY=VALUE`` lines of a ``.env`` file (``export``, quotes and comments as dotenv reads them)."""
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").strip()
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        values[key.strip()] = value
    return values


def is_env_file(path: str | Path) -> bool:
    name = Path(path).name
    return name == ".env" or name.startswith(".env.") or name.endswith(".env")


class Redactor:
    """Known secret values plus token shapes; thread-safe, values can be added as they are found."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._values_re: re.Pattern[str] | None = None
        self._env_files: set[str] = set()
        self.add_environment(os.environ if environ is None else environ)

    # -- what is secret --------------------------------------------------------------------------

    def add_values(self, values: Iterable[str]) -> None:
        with self._lock:
            before = len(self._values)
            for value in values:
                value = value.strip()
                if len(value) >= MIN_NAMED_VALUE_LENGTH and not value.isdigit():
                    self._values.add(value)
            if len(self._values) != before:
                self._values_re = None

    def add_environment(self, environ: Mapping[str, str]) -> None:
        self.add_values(v for k, v in environ.items() if is_secret_name(k))
        # Passwords inside connection strings of any variable (DATABASE_URL=postgres://u:PW@h/db).
        self.add_values(_url_passwords(v for v in environ.values() if "://" in v))

    def add_env_text(self, text: str) -> None:
        """The values of a ``.env`` file: every value under a secret-looking name, and every long one."""
        entries = parse_env_file(text)
        self.add_values(v for k, v in entries.items()
                        if is_secret_name(k) or (len(v) >= MIN_VALUE_LENGTH and not _plain_word(v)))
        self.add_values(_url_passwords(v for v in entries.values() if "://" in v))

    def add_env_file(self, path: Path) -> None:
        try:
            key = str(path.resolve())
            if key in self._env_files or not path.is_file() or path.stat().st_size > MAX_ENV_FILE_BYTES:
                return
            self.add_env_text(path.read_text(encoding="utf-8", errors="replace"))
            self._env_files.add(key)
        except OSError:
            return

    def add_workspace(self, root: Path, depth: int = 2, limit: int = 200) -> None:
        """``.env`` files at the root of the workspace and a couple of levels below (not in dependencies)."""
        seen = 0
        skip = {".git", "node_modules", ".venv", "venv", "__pycache__", ".tox", "dist", "build"}
        frontier = [root]
        for _level in range(depth + 1):
            nxt: list[Path] = []
            for folder in frontier:
                try:
                    entries = list(os.scandir(folder))
                except OSError:
                    continue
                for entry in entries:
                    seen += 1
                    if seen > limit * 50:
                        return
                    if entry.is_file(follow_symlinks=False) and is_env_file(entry.name):
                        self.add_env_file(Path(entry.path))
                    elif entry.is_dir(follow_symlinks=False) and entry.name not in skip:
                        nxt.append(Path(entry.path))
            frontier = nxt[:limit]

    # -- masking ---------------------------------------------------------------------------------

    def _known(self) -> re.Pattern[str] | None:
        with self._lock:
            if self._values_re is None and self._values:
                ordered = sorted(self._values, key=len, reverse=True)
                self._values_re = re.compile("|".join(re.escape(v) for v in ordered))
            return self._values_re

    def redact(self, text: str) -> str:
        if not text:
            return text
        known = self._known()
        if known is not None:
            text = known.sub(lambda m: mask(m.group(0)), text)
        for _name, pattern, group in _PATTERNS:
            text = pattern.sub(functools.partial(_mask_group, group=group), text)
        return text

    def redact_obj(self, obj: Any) -> Any:
        """Strings inside dicts, lists and tuples masked; other values and all keys kept."""
        if isinstance(obj, str):
            return self.redact(obj)
        if isinstance(obj, dict):
            return {k: self.redact_obj(v) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return type(obj)(self.redact_obj(v) for v in obj)
        return obj


def _mask_group(match: re.Match[str], group: int) -> str:
    if group == 0:
        return mask(match.group(0))
    start, end = match.span(group)
    base = match.start()
    whole = match.group(0)
    return whole[: start - base] + mask(whole[start - base : end - base]) + whole[end - base :]


def _plain_word(value: str) -> bool:
    """Values that are ordinary settings, not secrets: booleans, numbers, hosts, paths, URLs without a password."""
    lowered = value.lower()
    if lowered in ("true", "false", "production", "development", "localhost") or value.replace(".", "").isdigit():
        return True
    if "://" in value:
        return urllib.parse.urlsplit(value).password is None
    return value.startswith(("/", "./", "~/"))


def _url_passwords(values: Iterable[str]) -> list[str]:
    found = []
    for value in values:
        for match in re.finditer(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@]+:([^\s@/]+)@", value):
            found.append(urllib.parse.unquote(match.group(1)))
            found.append(match.group(1))
    return found


def is_local_url(url: str) -> bool:
    """Whether a model server URL stays on this machine (loopback): prompts to others are redacted."""
    host = (urllib.parse.urlsplit(url).hostname or "").strip("[]").lower()
    if host in ("localhost", "ip6-localhost") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_default: Redactor | None = None
_default_lock = threading.Lock()


def default_redactor() -> Redactor:
    """The process's redactor: the environment's secrets, plus the ``.env`` files the server found."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Redactor()
        return _default


def redact(text: str) -> str:
    """Mask every known secret and token shape in ``text`` (length-preserving)."""
    return default_redactor().redact(text)


def redact_record(record: dict[str, Any]) -> dict[str, Any]:
    """An audit or log record with every string value masked (keys and non-strings kept)."""
    result = default_redactor().redact_obj(record)
    assert isinstance(result, dict)
    return result
