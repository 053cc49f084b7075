"""The VS Code extension and the server agree: every server setting is contributed by the extension's
package.json with the same name, type, default and bounds, and the extension's protocol constants are
the server's method names."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, get_args

import pytest
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from openagent_lsp.config import Settings
from openagent_lsp.server import methods

EXTENSION = Path(__file__).resolve().parents[2] / "editors" / "vscode"
PREFIX = "openagent."
# Not contributed on purpose: a secret does not belong in settings.json (use OPENAGENT_OPENAI_API_KEY).
NOT_CONTRIBUTED = {"openai_api_key"}
TYPES = {bool: "boolean", int: "integer", float: "number", str: "string"}


def _contributed() -> dict[str, dict[str, Any]]:
    package = json.loads((EXTENSION / "package.json").read_text())
    sections = package["contributes"]["configuration"]
    props: dict[str, dict[str, Any]] = {}
    for section in sections if isinstance(sections, list) else [sections]:
        props.update(section["properties"])
    return props


def _client_only_prefixes() -> list[str]:
    source = (EXTENSION / "src" / "settings" / "serverSettings.ts").read_text()
    match = re.search(r"CLIENT_ONLY_PREFIXES = \[([^\]]*)\]", source)
    assert match, "CLIENT_ONLY_PREFIXES not found in serverSettings.ts"
    return re.findall(r"'([^']+)'", match.group(1))


def _server_fields(model: type[BaseModel] = Settings, prefix: str = "") -> dict[str, tuple[str, FieldInfo]]:
    """Flat camelCase key (as the extension spells it) -> (field path, field) for every leaf setting."""
    out: dict[str, tuple[str, FieldInfo]] = {}
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            out.update(_server_fields(annotation, f"{prefix}{field.alias or name}."))
        elif name not in NOT_CONTRIBUTED:
            out[f"{prefix}{field.alias or name}"] = (name, field)
    return out


def _fold(key: str) -> str:
    # The server matches keys case-insensitively (loadIn4bit and loadIn4Bit both work).
    return key.replace("_", "").lower()


def _server_keys() -> dict[str, str]:
    return {_fold(k): k for k in _server_fields()}


def _extension_server_keys() -> dict[str, str]:
    prefixes = _client_only_prefixes()
    keys = [k[len(PREFIX):] for k in _contributed()]
    return {_fold(k): k for k in keys if not any(k.startswith(p) for p in prefixes)}


def test_every_server_setting_is_contributed_and_nothing_else_is_sent() -> None:
    assert set(_server_keys()) == set(_extension_server_keys())


def test_contributed_keys_are_namespaced() -> None:
    assert all(key.startswith(PREFIX) for key in _contributed())


@pytest.mark.parametrize("key", sorted(_server_fields()))
def test_setting_matches_the_server_field(key: str) -> None:
    _name, field = _server_fields()[key]
    contributed = _contributed()[PREFIX + _extension_server_keys()[_fold(key)]]
    annotation = field.annotation
    choices = get_args(annotation)
    if choices:  # Literal[...]
        assert contributed["type"] == "string", key
        assert contributed["enum"] == list(choices), key
    else:
        assert contributed["type"] == TYPES[annotation], key  # type: ignore[index]
    assert contributed["default"] == field.get_default(call_default_factory=True), key
    bounds = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum"}
    expected = {bounds[k]: getattr(m, k) for m in field.metadata for k in bounds if getattr(m, k, None) is not None}
    assert {k: contributed.get(k) for k in bounds.values() if k in contributed} == expected, key
    assert contributed.get("markdownDescription") or contributed.get("description"), f"{key} needs a description"


def test_protocol_constants_match_the_server() -> None:
    source = (EXTENSION / "src" / "methods.ts").read_text()
    mirrored = dict(re.findall(r"export const (\w+) = '([^']+)';", source))
    server = {k: v for k, v in vars(methods).items() if k.isupper() and isinstance(v, str)}
    for name, value in server.items():
        assert mirrored.get(name) == value, f"{name} in methods.ts"
    # Names the extension knows beyond the server's list are ones it must treat as optional.
    assert set(mirrored) - set(server) <= {"CMD_UNDO_LAST_TURN"}
