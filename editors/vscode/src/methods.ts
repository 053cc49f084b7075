// Custom protocol names, mirrored from openagent_lsp/server/methods.py (a Python test checks they agree).

export const STATUS = 'openagent/status';
export const AUDIT = 'openagent/audit';
export const CHAT_DELTA = 'openagent/chat/delta';
export const STATUS_CHANGED = 'openagent/statusChanged';

export const CMD_COMPLETION_ACCEPTED = 'openagent.completion.accepted';
export const CMD_ASK = 'openagent.ask';
export const CMD_ASK_PROMPT = 'openagent.askPrompt';
export const CMD_CHAT = 'openagent.chat';
export const CMD_CHAT_CANCEL = 'openagent.chat.cancel';
export const CMD_CHAT_LIST = 'openagent.chat.list';
export const CMD_CHAT_HISTORY = 'openagent.chat.history';
export const CMD_EXPLAIN = 'openagent.explain';
export const CMD_COMMIT_MESSAGE = 'openagent.commitMessage';
export const CMD_APPLY_ACTION = 'openagent.applyAction';
// Offered by servers that can undo an agent turn; the extension enables its command only when listed.
export const CMD_UNDO_LAST_TURN = 'openagent.undoLastTurn';
// The audit log failed verification: the user acknowledges it, and tools may run again.
export const CMD_AUDIT_ACKNOWLEDGE = 'openagent.audit.acknowledge';
