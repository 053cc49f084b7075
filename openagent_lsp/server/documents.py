"""Document sync: keep the tree-sitter document store in step with the editor (incremental), and tell the
completion engine where the user is, so it can warm the model's cache there in the background."""

from __future__ import annotations

from lsprotocol import types

from openagent_lsp.redaction import default_redactor, is_env_file
from openagent_lsp.server import convert
from openagent_lsp.server.server import OpenAgentServer


def register(server: OpenAgentServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: OpenAgentServer, params: types.DidOpenTextDocumentParams) -> None:
        doc = params.text_document
        ls.documents.open(doc.uri, doc.language_id, doc.version, doc.text)
        if is_env_file(doc.uri):
            default_redactor().add_env_text(doc.text)
        ls.completions.opened(doc.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: OpenAgentServer, params: types.DidChangeTextDocumentParams) -> None:
        doc = params.text_document
        ls.documents.change(doc.uri, doc.version, convert.text_changes(params.content_changes))
        edited = [c.range for c in params.content_changes if isinstance(c, types.TextDocumentContentChangePartial)]
        if edited:  # the cursor is where the last edit happened
            ls.completions.cursor_moved(doc.uri, convert.position(edited[-1].start))

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: OpenAgentServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.documents.close(params.text_document.uri)
        ls.completions.forget(params.text_document.uri)
        llm = ls.models.ready_llm()
        if llm is not None:
            llm.forget(params.text_document.uri)
