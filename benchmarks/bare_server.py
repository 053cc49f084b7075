"""The yardstick: a bare pygls server with one feature (inline completion answering a fixed item).

``benchmarks/run.py`` compares our server's start-up time, memory and request round trip with this one.
"""

from __future__ import annotations

from lsprotocol import types
from pygls.lsp.server import LanguageServer

server = LanguageServer("bare-bench-server", "0")


@server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
def inline_completion(_ls: LanguageServer, params: types.InlineCompletionParams) -> types.InlineCompletionList:
    cursor = params.position
    return types.InlineCompletionList(items=[
        types.InlineCompletionItem(insert_text="value", range=types.Range(start=cursor, end=cursor))
    ])


if __name__ == "__main__":
    server.start_io()
