"""SQLite persistence: "always allow" grants, chat conversations and messages."""

from openagent_lsp.store.db import (
    ConversationSummary,
    Store,
    StoredMessage,
    default_db_path,
    resolve_db_location,
)

__all__ = ["ConversationSummary", "Store", "StoredMessage", "default_db_path", "resolve_db_location"]
