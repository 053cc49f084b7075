-- Commands on code: ask, explain, docstring, tests, fix, refactor, and undo of the agent's turn.
-- Edits are computed by the server and applied through workspace/applyEdit (openagent.applyAction),
-- only after its policy decision, so they land in the buffer and its undo history.
local client_mod = require('openagent.client')
local protocol = require('openagent.protocol')
local status = require('openagent.status')

local M = {}

---@class openagent.CommandRange
---@field range integer 0: no range given, else the number of line addresses (user command `range`)
---@field line1 integer
---@field line2 integer

--- An LSP position from a 0-based row and byte column (clamped to the line).
local function lsp_position(bufnr, row, col, encoding)
  local line = vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ''
  col = math.max(0, math.min(col, #line))
  return { line = row, character = vim.lsp.util.character_offset(bufnr, row, col, encoding) }
end

--- The byte column just after the character that starts at `col` (LSP ends are exclusive).
local function after_char(bufnr, row, col)
  local line = vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ''
  if col >= #line then
    return #line
  end
  local char_end = vim.str_utf_end(line, col + 1)
  return col + 1 + char_end
end

--- The LSP range a command works on: the visual selection when the command was given from it
--- ('<,'> of the last selection), the given lines otherwise, else the cursor.
---@param bufnr integer
---@param cmd? openagent.CommandRange
---@param client vim.lsp.Client
---@return lsp.Range
function M.range_for(bufnr, cmd, client)
  local encoding = client.offset_encoding or 'utf-16'
  if cmd and cmd.range and cmd.range > 0 then
    local vstart = vim.api.nvim_buf_get_mark(bufnr, '<')
    local vend = vim.api.nvim_buf_get_mark(bufnr, '>')
    if vstart[1] == cmd.line1 and vend[1] == cmd.line2 then
      return {
        start = lsp_position(bufnr, vstart[1] - 1, vstart[2], encoding),
        ['end'] = lsp_position(bufnr, vend[1] - 1, after_char(bufnr, vend[1] - 1, vend[2]), encoding),
      }
    end
    return {
      start = lsp_position(bufnr, cmd.line1 - 1, 0, encoding),
      ['end'] = lsp_position(bufnr, cmd.line2 - 1, math.huge, encoding),
    }
  end
  local cursor = vim.api.nvim_win_get_cursor(0)
  local position = lsp_position(bufnr, cursor[1] - 1, cursor[2], encoding)
  return { start = position, ['end'] = position }
end

local function describe(bufnr, range)
  local name = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(bufnr), ':.')
  if range.start.line == range['end'].line then
    return ('%s line %d'):format(name, range.start.line + 1)
  end
  return ('%s lines %d-%d'):format(name, range.start.line + 1, range['end'].line + 1)
end

--- Diagnostics of all sources on the range's lines, as messages (what the server's fix action needs).
local function diagnostics_on(bufnr, range)
  local messages = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    if d.lnum >= range.start.line and d.lnum <= range['end'].line then
      table.insert(messages, d.message)
    end
  end
  return messages
end

local ACTION_TITLES = {
  docstring = 'writing a docstring',
  tests = 'writing tests',
  fix = 'fixing',
  refactor = 'refactoring',
}

--- Run an editing code action on the selection (or the code around the cursor).
---@param action string one of protocol.ACTIONS
---@param cmd? openagent.CommandRange
function M.apply(action, cmd)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = client_mod.require(bufnr)
  if not client then
    return
  end
  local range = M.range_for(bufnr, cmd, client)
  local argument = { action = action, uri = vim.uri_from_bufnr(bufnr), range = range }
  if action == protocol.ACTIONS.fix then
    argument.diagnostics = diagnostics_on(bufnr, range)
    if #argument.diagnostics == 0 then
      vim.notify('OpenAgent: no diagnostic on these lines to fix', vim.log.levels.WARN)
      return
    end
  end
  local key = 'action-' .. action .. '-' .. vim.uv.hrtime()
  status.set_busy(key, ACTION_TITLES[action] or action)
  client_mod.execute(client, protocol.CMD_APPLY_ACTION, argument, function(err, result)
    status.set_busy(key, nil)
    if err then
      return status.report_error(ACTION_TITLES[action] or action, err)
    end
    if not (type(result) == 'table' and result.applied) then
      vim.notify('OpenAgent: the edit was not applied', vim.log.levels.WARN)
    end
    pcall(vim.api.nvim_exec_autocmds, 'User', {
      pattern = 'OpenAgentActionDone',
      modeline = false,
      data = { action = action, result = result },
    })
  end, bufnr)
end

--- Ask a question about the selection: vim.ui.input, then openagent.ask, answered in the chat.
---@param cmd? openagent.CommandRange
---@param question? string asked without a prompt when given
function M.ask(cmd, question)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = client_mod.require(bufnr)
  if not client then
    return
  end
  local range = M.range_for(bufnr, cmd, client)
  local function send(text)
    if not text or vim.trim(text) == '' then
      return
    end
    local chat = require('openagent.chat')
    local view = chat.open()
    local label = describe(bufnr, range)
    chat.run_turn(view, text .. '\n\n> about ' .. label, protocol.CMD_ASK,
      { question = text, uri = vim.uri_from_bufnr(bufnr), range = range }, bufnr)
  end
  if question then
    return send(question)
  end
  vim.ui.input({ prompt = 'Ask OpenAgent: ' }, send)
end

--- Explain the selection (or the code around the cursor) in the chat.
---@param cmd? openagent.CommandRange
function M.explain(cmd)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = client_mod.require(bufnr)
  if not client then
    return
  end
  local range = M.range_for(bufnr, cmd, client)
  local chat = require('openagent.chat')
  local view = chat.open()
  chat.run_turn(view, '/explain ' .. describe(bufnr, range), protocol.CMD_EXPLAIN,
    { uri = vim.uri_from_bufnr(bufnr), range = range }, bufnr)
end

-- Code actions listed by the server carry client-side commands: "Ask agent…" (openagent.askPrompt)
-- and "Explain" (openagent.explain, run here so its answer streams into the chat).

local function command_target(command, ctx)
  local arg = command.arguments and command.arguments[1] or {}
  local bufnr = arg.uri and vim.uri_to_bufnr(arg.uri) or ctx.bufnr
  return bufnr, arg.range
end

function M.ask_from_command(command, ctx)
  local bufnr, range = command_target(command, ctx)
  vim.ui.input({ prompt = 'Ask OpenAgent: ' }, function(text)
    if not text or vim.trim(text) == '' then
      return
    end
    local chat = require('openagent.chat')
    chat.run_turn(chat.open(), text .. '\n\n> about ' .. describe(bufnr, range), protocol.CMD_ASK,
      { question = text, uri = vim.uri_from_bufnr(bufnr), range = range }, bufnr)
  end)
end

function M.explain_from_command(command, ctx)
  local bufnr, range = command_target(command, ctx)
  local chat = require('openagent.chat')
  chat.run_turn(chat.open(), '/explain ' .. describe(bufnr, range), protocol.CMD_EXPLAIN,
    { uri = vim.uri_from_bufnr(bufnr), range = range }, bufnr)
end

--- Undo the agent's last turn, where the server offers it.
function M.undo()
  local client = client_mod.require(vim.api.nvim_get_current_buf())
  if not client then
    return
  end
  if not client_mod.offers_command(client, protocol.CMD_UNDO_LAST_TURN) then
    vim.notify(('OpenAgent: this server cannot undo agent turns (it does not offer %s)'):format(
      protocol.CMD_UNDO_LAST_TURN), vim.log.levels.WARN)
    return
  end
  local view = require('openagent.chat').current()
  local argument = view and { conversationId = view.conversation_id } or {}
  client_mod.execute(client, protocol.CMD_UNDO_LAST_TURN, argument, function(err, result)
    if err then
      return status.report_error('undo', err)
    end
    local message = type(result) == 'table' and (result.message or result.summary) or nil
    vim.notify('OpenAgent: ' .. (message or 'the last agent turn was undone'), vim.log.levels.INFO)
    vim.cmd.checktime() -- files restored on disk reload in their buffers
  end)
end

return M
