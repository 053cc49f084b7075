"""initialize / initialized / configuration / status: the server's life and what it reports about itself."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import to_fs_path

from openagent_lsp import __version__, heap
from openagent_lsp.errors import ConfigError
from openagent_lsp.logging import editor_bridge, get_logger
from openagent_lsp.server import completion, methods
from openagent_lsp.server.server import OpenAgentServer

log = get_logger(__name__)

_LOG_TYPES = {"error": types.MessageType.Error, "warning": types.MessageType.Warning}


def register(server: OpenAgentServer) -> None:
    @server.feature(types.INITIALIZE)
    def on_initialize(ls: OpenAgentServer, params: types.InitializeParams) -> None:
        ls.loop = asyncio.get_running_loop()
        root = _workspace_root(params)
        if root is not None:
            ls.workspace_root = root
        caps = params.capabilities
        td = caps.text_document
        if td is not None and td.inline_completion is not None:
            ls.client_features.add("inlineCompletion")
        window = caps.window
        if window is not None and window.work_done_progress:
            ls.client_features.add("workDoneProgress")
        if window is not None and window.show_message is not None:
            ls.client_features.add("showMessageRequest")
        if caps.workspace is not None and caps.workspace.apply_edit:
            ls.client_features.add("applyEdit")
        # Options are validated in `initialized`, after this answer went out (errors are shown then).
        ls.pending_init_options = params.initialization_options
        completion.register_for_client(ls)

    @server.feature(types.INITIALIZED)
    async def on_initialized(ls: OpenAgentServer, _params: types.InitializedParams) -> None:
        editor_bridge.set_sink(lambda level, message: ls.call_in_loop(_log_to_editor, ls, level, message))
        ls.loop_watch.start()
        apply_initialization_options(ls)
        await _learn_workspace_secrets(ls)
        if ls.settings.preload_model:
            await start_model_load(ls)
        # The agent side starts now rather than on first use: a failed audit verification is shown
        # (and commands refused) from the start, not when the user first asks for something.
        task = asyncio.ensure_future(_start_services(ls))
        ls.background_tasks.add(task)
        task.add_done_callback(ls.background_tasks.discard)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def on_configuration(ls: OpenAgentServer, params: types.DidChangeConfigurationParams) -> None:
        settings = params.settings
        if not isinstance(settings, dict):
            return
        try:
            ls.settings_holder.apply_runtime(settings)
        except ConfigError as exc:
            ls.notify_user(f"{exc}; keeping the previous configuration")
            log.warning("bad_configuration", error=str(exc))
            return
        # A model that failed to load (server down, out of memory) is tried again when the configuration
        # is sent again, changed or not: that is the user's "retry".
        changed = ls.models.reconfigure(ls.settings)
        if changed:
            heap.thaw()  # the dropped model must be collectable; frozen again once the next one is up
            notify_status(ls)  # the model was dropped: clients show "idle" until it loads again
        if (changed or ls.models.state == "error") and ls.settings.preload_model:
            await start_model_load(ls)

    @server.feature(methods.STATUS)
    async def on_status(ls: OpenAgentServer, _params: Any = None) -> dict[str, Any]:
        return status_payload(ls)

    @server.feature(types.SHUTDOWN)
    def on_shutdown(ls: OpenAgentServer, _params: Any = None) -> None:
        editor_bridge.set_sink(None)


async def _learn_workspace_secrets(ls: OpenAgentServer) -> None:
    """The workspace's ``.env`` values are masked wherever text leaves (logs, remote prompts, history)."""
    from openagent_lsp.redaction import default_redactor

    try:
        await asyncio.to_thread(default_redactor().add_workspace, ls.workspace_root)
    except Exception as exc:
        log.warning("secret_scan_failed", error=str(exc))


def apply_initialization_options(ls: OpenAgentServer) -> None:
    holder = ls.settings_holder
    _ = holder.current  # validates the environment layer
    if holder.startup_error:
        ls.notify_user(holder.startup_error)
    try:
        holder.apply_initialization_options(ls.pending_init_options)
    except ConfigError as exc:
        # Keep running on the last good configuration (env + defaults) and say which field is wrong.
        ls.notify_user(f"{exc}; using the previous configuration")
        log.warning("bad_initialization_options", error=str(exc))
    ls.models.reconfigure(ls.settings)


def status_payload(ls: OpenAgentServer) -> dict[str, Any]:
    """What the server reports about itself; masked, since errors in it may quote a model server's reply."""
    from openagent_lsp.redaction import redact_record

    proto = ls.protocol_stats
    model = ls.models.status()  # once: it reads the backend's info and calibration figures
    return redact_record({
        "version": __version__,
        "uptimeSeconds": round(time.monotonic() - ls.started_at, 3),
        "model": model.to_json(),
        "backend": model.backend,
        # Lists, not maps keyed by method name: "textDocument/x" is not an identifier in every client.
        "requests": [{"method": m, "count": n} for m, n in sorted(proto.request_counts.items())],
        "errors": [{"method": m, "count": n} for m, n in sorted(proto.error_counts.items())],
        "completion": ls.completions.counters.to_json(),
        "lastError": ls.completions.last_error,
        "lastGeneration": _last_generation(ls),
        "openDocuments": len(ls.documents),
        "caches": {"documents": len(ls.documents), **ls.completions.sizes()},
        "eventLoopLag": ls.loop_watch.to_json(),
        "agent": ls.services.metrics_json() if ls.services_started else None,
        "workspace": str(ls.workspace_root),
        "sandbox": _sandbox_json(),
        "audit": ls.services.audit_json() if ls.services_started else None,
    })


def _sandbox_json() -> dict[str, Any]:
    from openagent_lsp.sandbox import detect_sandbox

    return detect_sandbox().to_json()


async def _start_services(ls: OpenAgentServer) -> None:
    try:
        await ls.services_async()  # imports, grammar and database: half a second the loop must not wait out
    except Exception as exc:  # reported again, with the same message, to the request that needs them
        log.warning("agent_services_unavailable", error=str(exc))
        return
    heap.freeze_long_lived()


def _last_generation(ls: OpenAgentServer) -> dict[str, Any] | None:
    stats = ls.models.last_generation()
    if stats is None:
        return None
    return {"promptTokens": stats.prompt_tokens, "reusedTokens": stats.reused_tokens,
            "newTokens": stats.new_tokens, "stoppedBy": stats.stopped_by,
            "prefillMs": round(stats.prefill_ms, 1), "totalMs": round(stats.total_ms, 1)}


async def start_model_load(ls: OpenAgentServer) -> None:
    """Start loading in a thread, reporting $/progress to the editor while it runs."""
    if ls.models.state in ("loading", "ready"):
        return
    token: str | None = None
    if "workDoneProgress" in ls.client_features:
        token = f"openagent-model-{uuid.uuid4().hex[:8]}"
        try:
            await ls.work_done_progress.create_async(token)
            ls.work_done_progress.begin(
                token, types.WorkDoneProgressBegin(title="OpenAgent: loading model", message=ls.settings.model,
                                                   percentage=0, cancellable=False)
            )
        except Exception as exc:
            log.warning("progress_unavailable", error=str(exc))
            token = None

    def report(message: str, percent: int | None = None) -> None:
        if token is not None:
            ls.call_in_loop(ls.work_done_progress.report, token,
                            types.WorkDoneProgressReport(message=message, percentage=percent))

    thread = ls.models.start_loading(report)
    if thread is None:
        return
    notify_status(ls)  # now "loading"

    async def finish() -> None:
        await asyncio.to_thread(thread.join)
        status = ls.models.status()
        if token is not None:
            ls.work_done_progress.end(token, types.WorkDoneProgressEnd(
                message="ready" if status.state == "ready" else f"failed: {status.error}"))
        if status.state == "error":
            ls.notify_user(f"model failed to load: {status.error}")
        else:
            heap.freeze_long_lived()  # the model's libraries would otherwise make each full collection slow
        notify_status(ls)

    task = asyncio.ensure_future(finish())
    ls.background_tasks.add(task)
    task.add_done_callback(ls.background_tasks.discard)


def notify_status(ls: OpenAgentServer) -> None:
    """``openagent/statusChanged`` with the full status: sent on every model state change (idle, loading,
    ready, error) so clients need not poll."""
    ls.protocol.notify(methods.STATUS_CHANGED, status_payload(ls))


def _log_to_editor(ls: OpenAgentServer, level: str, message: str) -> None:
    with contextlib.suppress(Exception):  # never let the log bridge raise into the loop
        ls.window_log_message(types.LogMessageParams(type=_LOG_TYPES.get(level, types.MessageType.Log),
                                                     message=message))


def _workspace_root(params: types.InitializeParams) -> Path | None:
    uri = None
    if params.workspace_folders:
        uri = params.workspace_folders[0].uri
    elif params.root_uri:
        uri = params.root_uri
    if uri:
        path = to_fs_path(uri)
        if path:
            return Path(path).resolve()
    if params.root_path:
        return Path(params.root_path).resolve()
    return None
