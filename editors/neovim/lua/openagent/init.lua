-- OpenAgent for Neovim: a local AI coding agent through openagent-lsp.
--
--   require('openagent').setup({ settings = { model = 'embedded' } })
--
-- setup() may be called again: changed options take effect, changed server settings are sent to
-- the running server. See :help openagent.
local M = {}

--- Configure and register the server. Errors name the option that is wrong.
---@param opts? table see :help openagent-options
function M.setup(opts)
  local config = require('openagent.config')
  local client = require('openagent.client')
  local applied = config.apply(opts)
  local cmd, why = client.find_server(applied)
  if applied.enabled and not cmd then
    vim.notify('OpenAgent: ' .. why, vim.log.levels.WARN)
  end
  client.register(applied)
  client.push_settings(applied)
  -- Buffers already attached pick up new keymaps and the ghost-text switch.
  for _, c in ipairs(client.all()) do
    for bufnr in pairs(c.attached_buffers or {}) do
      require('openagent.inline').attach(c, bufnr)
    end
  end
end

--- A short status for the statusline: '' when the server is not running, else e.g.
--- 'OpenAgent: loading 40%', 'OpenAgent: ready', 'OpenAgent: thinking…', 'OpenAgent: error'.
---@return string
function M.statusline()
  return require('openagent.status').statusline()
end

-- The keys' actions, to map them yourself (they return true when they did something).
function M.accept() return require('openagent.inline').accept() end
function M.accept_word() return require('openagent.inline').accept_word() end
function M.accept_line() return require('openagent.inline').accept_line() end
function M.next() return require('openagent.inline').select(1) end
function M.prev() return require('openagent.inline').select(-1) end
function M.dismiss() return require('openagent.inline').dismiss() end
function M.trigger() return require('openagent.inline').trigger() end

--- Open the chat; `opts.new` starts a new conversation.
function M.chat(opts) return require('openagent.chat').open(opts) end

return M
