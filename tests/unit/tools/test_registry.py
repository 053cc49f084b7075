"""ToolRegistry: names, prompt descriptions, JSON schemas, and the optional code tools."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest
from pydantic import BaseModel

from openagent_lsp.tools.base import ToolContext, ToolResult
from openagent_lsp.tools.registry import build_default_registry, code_tools
from openagent_lsp.tools.shell import ShellTool

BUILTIN = {
    "shell.run",
    "files.read",
    "files.write",
    "files.delete",
    "files.list",
    "git.status",
    "git.diff",
    "git.log",
    "git.blame",
    "git.commit",
}


def test_default_registry_has_every_builtin_tool() -> None:
    registry = build_default_registry(include_code=False)
    assert set(registry.names()) == BUILTIN


def test_descriptions_and_schemas_for_prompts() -> None:
    registry = build_default_registry(include_code=False)
    text = registry.describe(["shell.run", "files.read"])
    assert text.startswith("- shell.run:") and "- files.read:" in text and "git.status" not in text
    assert '"command":{' in text and '"required":true' in text
    [schema] = registry.schemas(["shell.run"])
    assert schema["name"] == "shell.run"
    assert schema["input_schema"]["required"] == ["command"]
    assert schema["input_schema"]["additionalProperties"] is False


def test_duplicate_names_are_refused() -> None:
    registry = build_default_registry(include_code=False)
    with pytest.raises(ValueError, match="already registered"):
        registry.register(ShellTool())


def test_no_tool_accepts_an_approval_field() -> None:
    registry = build_default_registry(include_code=False)
    for schema in registry.schemas():
        props = schema["input_schema"].get("properties", {})
        assert not {"confirm", "approved", "force", "yes"} & set(props), schema["name"]


@pytest.fixture
def fake_code_module(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, object]]:
    calls: list[tuple[str, object]] = []
    module = types.ModuleType("openagent_lsp.tools.code")

    class CodeOutlineInput(BaseModel):
        path: str

    class CodeFindSymbolInput(BaseModel):
        name: str

    def code_outline(path: str, workspace: Path) -> str:
        calls.append(("outline", path))
        return "def main (line 1)"

    def code_find_symbol(name: str, workspace: Path) -> list[dict[str, object]]:
        calls.append(("find", name))
        return [{"path": "app.py", "line": 1}]

    module.CodeOutlineInput = CodeOutlineInput  # type: ignore[attr-defined]
    module.CodeFindSymbolInput = CodeFindSymbolInput  # type: ignore[attr-defined]
    module.code_outline = code_outline  # type: ignore[attr-defined]
    module.code_find_symbol = code_find_symbol  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "openagent_lsp.tools.code", module)
    import openagent_lsp.tools as tools_pkg

    monkeypatch.setattr(tools_pkg, "code", module, raising=False)
    return calls


async def test_code_tools_are_wrapped_and_guarded(
    fake_code_module: list[tuple[str, object]], ctx: ToolContext, workspace: Path
) -> None:
    registry = build_default_registry()
    assert {"code.outline", "code.find_symbol"} <= set(registry.names())
    outline = registry.get("code.outline")
    assert outline is not None
    (workspace / "app.py").write_text("def main(): pass\n")
    result: ToolResult = await outline.invoke({"path": "app.py"}, ctx)
    assert result.ok and "def main" in result.output
    assert fake_code_module == [("outline", str(workspace / "app.py"))]
    escaped = await outline.invoke({"path": "../../etc/passwd"}, ctx)
    assert not escaped.ok and len(fake_code_module) == 1
    find = registry.get("code.find_symbol")
    assert find is not None
    found = await find.invoke({"name": "main"}, ctx)
    assert found.ok and '"app.py"' in found.output


def test_missing_code_module_is_tolerated(monkeypatch: pytest.MonkeyPatch) -> None:
    import openagent_lsp.tools as tools_pkg

    monkeypatch.setitem(sys.modules, "openagent_lsp.tools.code", None)  # import raises ImportError
    monkeypatch.delattr(tools_pkg, "code", raising=False)
    assert code_tools() == []


async def test_real_code_tools_when_present(ctx: ToolContext, workspace: Path) -> None:
    pytest.importorskip("openagent_lsp.tools.code")
    registry = build_default_registry()
    outline, find = registry.get("code.outline"), registry.get("code.find_symbol")
    assert outline is not None and find is not None
    (workspace / "pkg").mkdir()
    (workspace / "pkg" / "mod.py").write_text("class Parser:\n    def parse(self):\n        pass\n")
    result = await outline.invoke({"path": "pkg/mod.py"}, ctx)
    assert result.ok, result.error
    assert "Parser" in result.output and "parse" in result.output
    found = await find.invoke({"name": "Parser", "max_files": 10}, ctx)
    assert found.ok and "pkg/mod.py:1" in found.output
