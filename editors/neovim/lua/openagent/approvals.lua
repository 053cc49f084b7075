-- Approval prompts: the server's window/showMessageRequest goes through vim.ui.select, so any picker
-- the user has (telescope, fzf-lua, snacks, dressing) shows it. The server's message (command or
-- path, risk, reason, rule) is shown in full: in the picker's prompt when it is one short line,
-- else in a floating window above the picker. Closing the picker answers null, which the server
-- takes as "no"; the server, not this plugin, decides what runs.
local M = {}

local function float_min_lines()
  return require('openagent.config').get().approvals.float_min_lines
end

--- Split a message into display lines (never truncated: long lines wrap in the float).
---@param message string
---@return string[]
function M.message_lines(message)
  return vim.split(message, '\n', { plain = true })
end

---@param lines string[]
---@return boolean
local function needs_float(lines)
  if #lines >= float_min_lines() then
    return true
  end
  return vim.fn.strdisplaywidth(lines[1] or '') > math.floor(vim.o.columns * 0.8)
end

--- Open a floating window with the full message; returns a function that closes it.
---@param lines string[]
---@return fun()
function M.open_float(lines)
  local buf = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].modifiable = false
  vim.bo[buf].bufhidden = 'wipe'
  local width = 20
  for _, line in ipairs(lines) do
    width = math.max(width, vim.fn.strdisplaywidth(line))
  end
  width = math.min(width + 2, math.max(20, vim.o.columns - 4))
  -- Wrapped lines take more rows: count them so nothing is hidden below the border.
  local height = 0
  for _, line in ipairs(lines) do
    height = height + math.max(1, math.ceil(vim.fn.strdisplaywidth(line) / width))
  end
  height = math.min(height, math.max(3, vim.o.lines - 8))
  local win = vim.api.nvim_open_win(buf, false, {
    relative = 'editor',
    row = 1,
    col = math.max(0, math.floor((vim.o.columns - width) / 2)),
    width = width,
    height = height,
    style = 'minimal',
    border = 'rounded',
    title = ' OpenAgent approval ',
    title_pos = 'center',
    zindex = 60,
  })
  vim.wo[win].wrap = true
  vim.wo[win].linebreak = true
  vim.cmd.redraw()
  return function()
    if vim.api.nvim_win_is_valid(win) then
      vim.api.nvim_win_close(win, true)
    end
  end
end

--- Ask the user; `callback` gets the chosen action or nil (closed picker).
---@param params lsp.ShowMessageRequestParams
---@param callback fun(action: lsp.MessageActionItem?)
function M.ask(params, callback)
  local lines = M.message_lines(params.message or '')
  local close = function() end
  local prompt
  if needs_float(lines) then
    close = M.open_float(lines)
    prompt = 'OpenAgent: your answer'
  else
    prompt = 'OpenAgent: ' .. (lines[1] or '')
  end
  local answered = false
  vim.ui.select(params.actions, {
    prompt = prompt,
    kind = 'openagent.approval',
    format_item = function(action)
      return action.title
    end,
  }, function(choice)
    if answered then
      return
    end
    answered = true
    close()
    callback(choice)
  end)
end

--- Handler for window/showMessageRequest. Neovim runs server-request handlers in a coroutine, so
--- this one can wait for an asynchronous picker.
---@param params lsp.ShowMessageRequestParams
function M.handler(_, params, ctx)
  if type(params) ~= 'table' or not params.actions or #params.actions == 0 then
    -- No actions: only a message to show.
    vim.lsp.handlers['window/showMessage'](nil, params, ctx)
    return vim.NIL
  end
  local co, is_main = coroutine.running()
  if not co or is_main then
    -- Not in a coroutine (an older or future caller): ask synchronously.
    local items = { params.message, '' }
    for i, action in ipairs(params.actions) do
      table.insert(items, ('%d. %s'):format(i, action.title))
    end
    local choice = vim.fn.inputlist(items)
    return params.actions[choice] or vim.NIL
  end
  M.ask(params, function(choice)
    -- Resume after the picker returned, even when vim.ui.select answered synchronously.
    vim.schedule(function()
      coroutine.resume(co, choice or vim.NIL)
    end)
  end)
  return coroutine.yield()
end

return M
