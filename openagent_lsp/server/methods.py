"""Custom LSP method and command names: the one place they are spelled.

Editor clients (editors/) mirror these names as constants of their own.
"""

STATUS = "openagent/status"
AUDIT = "openagent/audit"
CHAT_DELTA = "openagent/chat/delta"
STATUS_CHANGED = "openagent/statusChanged"

CMD_COMPLETION_ACCEPTED = "openagent.completion.accepted"
CMD_ASK = "openagent.ask"
CMD_ASK_PROMPT = "openagent.askPrompt"  # client-side: ask the user for a question, then call openagent.ask
CMD_CHAT = "openagent.chat"
CMD_CHAT_CANCEL = "openagent.chat.cancel"
CMD_CHAT_LIST = "openagent.chat.list"
CMD_CHAT_HISTORY = "openagent.chat.history"
CMD_EXPLAIN = "openagent.explain"
CMD_COMMIT_MESSAGE = "openagent.commitMessage"
CMD_APPLY_ACTION = "openagent.applyAction"
CMD_UNDO_LAST_TURN = "openagent.undoLastTurn"
CMD_AUDIT_ACKNOWLEDGE = "openagent.audit.acknowledge"
