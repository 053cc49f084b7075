-- User commands of OpenAgent. Modules load on first use; require('openagent').setup(opts) registers
-- the server (or, on Neovim 0.11+, vim.lsp.enable('openagent') with the defaults).
if vim.g.loaded_openagent then
  return
end
vim.g.loaded_openagent = true

local function actions()
  return require('openagent.actions')
end

-- name -> { run, description, takes a range }
local commands = {
  Ask = { function(o) actions().ask(o, o.args ~= '' and o.args or nil) end, 'Ask about the selection', true },
  Explain = { function(o) actions().explain(o) end, 'Explain the selection in the chat', true },
  Doc = { function(o) actions().apply('docstring', o) end, 'Add a docstring to the enclosing function', true },
  Tests = { function(o) actions().apply('tests', o) end, 'Write tests for the enclosing function', true },
  Fix = { function(o) actions().apply('fix', o) end, 'Fix the diagnostics on these lines', true },
  Refactor = { function(o) actions().apply('refactor', o) end, 'Simplify / refactor the enclosing code', true },
  Chat = {
    function(o)
      local chat = require('openagent.chat')
      if o.args == 'history' then
        return chat.pick_history()
      end
      local context
      if o.range > 0 then
        local bufnr = vim.api.nvim_get_current_buf()
        local client = require('openagent.client').require(bufnr)
        if not client then
          return
        end
        local range = actions().range_for(bufnr, o, client)
        context = {
          uri = vim.uri_from_bufnr(bufnr),
          range = range,
          label = ('%s lines %d-%d'):format(vim.fn.expand('%:.'), range.start.line + 1, range['end'].line + 1),
        }
      end
      chat.open({ new = o.args == 'new', context = context })
    end,
    'Open the chat (new: a new conversation, history: an earlier one)',
    true,
  },
  Status = { function() require('openagent.status').show() end, "Show the server's status", false },
  Undo = { function() actions().undo() end, "Undo the agent's last turn", false },
}

local chat_args = { 'new', 'history' }

for name, spec in pairs(commands) do
  vim.api.nvim_create_user_command('OpenAgent' .. name, spec[1], {
    desc = 'OpenAgent: ' .. spec[2],
    range = spec[3] or nil,
    nargs = (name == 'Ask' or name == 'Chat') and '?' or 0,
    complete = name == 'Chat' and function() return chat_args end or nil,
  })
end

-- One entry point too: `:OpenAgent chat`, `:'<,'>OpenAgent doc`, …
vim.api.nvim_create_user_command('OpenAgent', function(o)
  local sub, rest = o.fargs[1] or 'status', table.concat(vim.list_slice(o.fargs, 2), ' ')
  local spec = commands[sub:sub(1, 1):upper() .. sub:sub(2)]
  if not spec then
    vim.notify('OpenAgent: unknown action ' .. sub, vim.log.levels.ERROR)
    return
  end
  spec[1](vim.tbl_extend('force', o, { args = rest }))
end, {
  desc = 'OpenAgent: ask, explain, doc, tests, fix, refactor, chat, status, undo',
  nargs = '*',
  range = true,
  complete = function(_, line)
    local words = vim.split(line, '%s+', { trimempty = true })
    if #words <= 1 or (#words == 2 and not line:match('%s$')) then
      local names = {}
      for name in pairs(commands) do
        table.insert(names, name:lower())
      end
      table.sort(names)
      return names
    end
    return words[2] == 'chat' and chat_args or {}
  end,
})
