-- Custom method and command names of openagent-lsp, mirrored from openagent_lsp/server/methods.py
-- (the one place the server spells them). Standard LSP names come from vim.lsp.protocol.
local M = {}

M.name = 'openagent' -- the name of the LSP client config (`vim.lsp.enable('openagent')`)

M.STATUS = 'openagent/status'
M.AUDIT = 'openagent/audit'
M.CHAT_DELTA = 'openagent/chat/delta'
M.STATUS_CHANGED = 'openagent/statusChanged'

M.CMD_COMPLETION_ACCEPTED = 'openagent.completion.accepted'
M.CMD_ASK = 'openagent.ask'
M.CMD_ASK_PROMPT = 'openagent.askPrompt' -- client side: ask the user for a question, then openagent.ask
M.CMD_CHAT = 'openagent.chat'
M.CMD_CHAT_CANCEL = 'openagent.chat.cancel'
M.CMD_CHAT_LIST = 'openagent.chat.list'
M.CMD_CHAT_HISTORY = 'openagent.chat.history'
M.CMD_EXPLAIN = 'openagent.explain'
M.CMD_COMMIT_MESSAGE = 'openagent.commitMessage'
M.CMD_APPLY_ACTION = 'openagent.applyAction'
-- Offered by servers that can undo the agent's last turn; the plugin checks executeCommandProvider.
M.CMD_UNDO_LAST_TURN = 'openagent.undoLastTurn'
-- The audit log failed verification: the user acknowledges it, and tools may run again.
M.CMD_AUDIT_ACKNOWLEDGE = 'openagent.audit.acknowledge'

-- Code-action ids of the server's catalog (openagent_lsp/assist/actions.py).
M.ACTIONS = {
  explain = 'explain',
  docstring = 'docstring',
  tests = 'tests',
  fix = 'fix',
  refactor = 'refactor',
}

return M
