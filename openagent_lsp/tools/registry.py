"""Builds the default tool registry, including the code tools from ``tools/code.py`` when present.

The code tools are written as plain functions by another module; they are wrapped here so they get
the same treatment as every other tool: pydantic-validated input, a guard check on the path, and
blocking work in a worker thread.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Callable
from typing import Any, ClassVar

from pydantic import BaseModel

from openagent_lsp.errors import ToolError
from openagent_lsp.logging import get_logger
from openagent_lsp.policy.types import FileOp
from openagent_lsp.tools.base import Tool, ToolContext, ToolRegistry, ToolResult
from openagent_lsp.tools.files import (
    FilesDeleteTool,
    FilesListTool,
    FilesReadTool,
    FilesWriteTool,
    preflight,
)
from openagent_lsp.tools.git import GitBlameTool, GitCommitTool, GitDiffTool, GitLogTool, GitStatusTool
from openagent_lsp.tools.shell import ShellTool
from openagent_lsp.tools.workspace import confine

log = get_logger(__name__)

OUTPUT_CAP = 64 * 1024


def _render(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, BaseModel):
        return value.model_dump_json(indent=1)
    try:
        return json.dumps(value, indent=1, default=str)
    except (TypeError, ValueError):
        return str(value)


def _extra_kwargs(fn: Callable[..., Any], args: BaseModel, skip: str) -> dict[str, Any]:
    """Fields of ``args`` besides the main one, passed on when ``fn`` accepts them (e.g. ``max_files``)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return {}
    return {k: v for k, v in args.model_dump().items() if k != skip and k in params}


async def _call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    if inspect.iscoroutinefunction(fn):
        return await fn(*args, **kwargs)
    result = await asyncio.to_thread(fn, *args, **kwargs)
    if inspect.isawaitable(result):
        result = await result
    return result


class CodeOutlineTool(Tool):
    name = "code.outline"
    description = "Outline of a source file: classes, functions and methods with their line numbers."
    keywords = ("outline", "structure", "functions", "classes", "methods", "symbols", "overview", "module")
    fn: ClassVar[Callable[..., Any]]

    async def run(self, args: Any, ctx: ToolContext) -> ToolResult:
        preflight(ctx, FileOp.READ, args.path)
        auth = await ctx.guard.authorize_path(FileOp.READ, args.path)
        auth.raise_if_denied()
        target = confine(args.path, ctx.workspace)
        try:
            fn = type(self).fn
            result = await _call(fn, str(target.path), ctx.workspace, **_extra_kwargs(fn, args, "path"))
        except Exception as exc:
            ctx.guard.record_result(auth, ok=False, error=str(exc))
            raise ToolError(f"code.outline failed: {exc}") from exc
        ctx.guard.record_result(auth, ok=True)
        return ToolResult(ok=True, output=_render(result)[:OUTPUT_CAP], metadata={"path": target.relative})


class CodeFindSymbolTool(Tool):
    name = "code.find_symbol"
    description = "Find where a function, class or variable is defined in the workspace."
    keywords = ("find", "where", "defined", "definition", "symbol", "function", "class", "usages", "locate")
    fn: ClassVar[Callable[..., Any]]

    async def run(self, args: Any, ctx: ToolContext) -> ToolResult:
        auth = await ctx.guard.authorize_path(FileOp.READ, ".")
        auth.raise_if_denied()
        try:
            fn = type(self).fn
            result = await _call(fn, args.name, ctx.workspace, **_extra_kwargs(fn, args, "name"))
        except Exception as exc:
            ctx.guard.record_result(auth, ok=False, error=str(exc))
            raise ToolError(f"code.find_symbol failed: {exc}") from exc
        ctx.guard.record_result(auth, ok=True)
        return ToolResult(ok=True, output=_render(result)[:OUTPUT_CAP])


def code_tools() -> list[Tool]:
    """The code tools, or none when ``tools/code.py`` is missing or fails to import."""
    try:
        from openagent_lsp.tools import code
    except Exception as exc:  # optional feature: never break the registry
        log.info("code_tools_unavailable", error=repr(exc))
        return []
    tools: list[Tool] = []
    pairs = (
        (CodeOutlineTool, "code_outline", "CodeOutlineInput"),
        (CodeFindSymbolTool, "code_find_symbol", "CodeFindSymbolInput"),
    )
    for base, fn_name, model_name in pairs:
        fn = getattr(code, fn_name, None)
        model = getattr(code, model_name, None)
        if fn is None or not (isinstance(model, type) and issubclass(model, BaseModel)):
            log.info("code_tool_missing", function=fn_name)
            continue
        cls = type(base.__name__, (base,), {"input_model": model, "fn": staticmethod(fn)})
        tools.append(cls())
    return tools


def build_default_registry(
    *,
    shell: ShellTool | None = None,
    include_code: bool = True,
    extra: list[Tool] | None = None,
) -> ToolRegistry:
    """All built-in tools. The registry is stateless; per-call state travels in ``ToolContext``."""
    registry = ToolRegistry(
        [
            shell or ShellTool(),
            FilesReadTool(),
            FilesWriteTool(),
            FilesDeleteTool(),
            FilesListTool(),
            GitStatusTool(),
            GitDiffTool(),
            GitLogTool(),
            GitBlameTool(),
            GitCommitTool(),
        ]
    )
    if include_code:
        for tool in code_tools():
            registry.register(tool)
    for tool in extra or []:
        registry.register(tool)
    return registry
