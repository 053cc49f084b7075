-- The chat buffer: a markdown transcript in a split. Type below the last "## You" heading; <CR>
-- (normal mode) or <C-s> (insert mode) sends, <C-c> cancels the running turn, q closes, gh opens
-- an earlier conversation. Answers stream in from openagent/chat/delta notifications, applied in
-- their `seq` order; each one also fires `User OpenAgentChatDelta` for anyone who wants to watch.
local client_mod = require('openagent.client')
local config = require('openagent.config')
local protocol = require('openagent.protocol')
local status = require('openagent.status')

local M = {}

local YOU = '## You'
local AGENT = '## OpenAgent'
local HELP = '<!-- <CR> send · <C-s> send (insert) · <C-c> cancel · q close · gh history -->'

---@class openagent.ChatView
---@field conversation_id string
---@field buf integer
---@field client_id integer?
---@field request_id integer? the running openagent.chat request
---@field active boolean a turn is streaming
---@field next_seq integer the seq of the next delta to apply
---@field pending table<integer, string> deltas that arrived before their predecessors
---@field received integer deltas applied in this turn
---@field unflushed string? deltas applied but not yet written to the buffer
---@field flush_scheduled boolean?
---@field context {uri: string, range: lsp.Range, label: string}? the code the next message is about

---@type table<string, openagent.ChatView>
local views = {}
---@type string?
local current_id

local function new_conversation_id()
  -- Unique across Neovim instances sharing the server's database: time, process and a counter.
  return ('nvim-%s-%d-%x'):format(os.date('%Y%m%d-%H%M%S'), vim.uv.os_getpid(), vim.uv.hrtime() % 0x1000000)
end

---@param conversation_id string
---@return openagent.ChatView?
function M.view(conversation_id)
  return views[conversation_id]
end

--- The view shown by :OpenAgentChat (the last one used).
---@return openagent.ChatView?
function M.current()
  local view = current_id and views[current_id]
  if view and vim.api.nvim_buf_is_valid(view.buf) then
    return view
  end
  return nil
end

--- Run `fn` with the buffer modifiable, then restore the flag (it is off while a turn streams).
local function with_modifiable(buf, fn)
  local was = vim.bo[buf].modifiable
  vim.bo[buf].modifiable = true
  local ok, err = pcall(fn)
  vim.bo[buf].modifiable = was
  if not ok then
    vim.notify('OpenAgent chat: ' .. tostring(err), vim.log.levels.ERROR)
  end
end

--- Keep windows that showed the end of the buffer at its end while text streams in.
local function windows_at_end(buf)
  local wins = {}
  local last = vim.api.nvim_buf_line_count(buf)
  for _, win in ipairs(vim.fn.win_findbuf(buf)) do
    if vim.api.nvim_win_get_cursor(win)[1] >= last - 1 then
      table.insert(wins, win)
    end
  end
  return wins
end

---@param buf integer
---@param text string
local function append(buf, text)
  if text == '' or not vim.api.nvim_buf_is_valid(buf) then
    return
  end
  local follow = windows_at_end(buf)
  with_modifiable(buf, function()
    local last = vim.api.nvim_buf_line_count(buf)
    local last_line = vim.api.nvim_buf_get_lines(buf, last - 1, last, true)[1]
    vim.api.nvim_buf_set_text(buf, last - 1, #last_line, last - 1, #last_line, vim.split(text, '\n', { plain = true }))
  end)
  local count = vim.api.nvim_buf_line_count(buf)
  for _, win in ipairs(follow) do
    pcall(vim.api.nvim_win_set_cursor, win, { count, 0 })
  end
end

--- Write the deltas received since the last flush: one buffer change per batch, not per token,
--- so a fast model cannot flood the editor.
---@param view openagent.ChatView
local function flush(view)
  view.flush_scheduled = false
  if view.unflushed and view.unflushed ~= '' then
    local text = view.unflushed
    view.unflushed = ''
    append(view.buf, text)
  end
end

local function open_window(buf)
  for _, win in ipairs(vim.api.nvim_tabpage_list_wins(0)) do
    if vim.api.nvim_win_get_buf(win) == buf then
      vim.api.nvim_set_current_win(win)
      return win
    end
  end
  local opts = config.get().chat
  if opts.layout == 'tab' then
    vim.cmd.tabnew()
  elseif opts.layout == 'horizontal' then
    vim.cmd(('botright %dsplit'):format(opts.size or math.floor(vim.o.lines / 3)))
  else
    vim.cmd(('botright %dvsplit'):format(opts.size or math.max(40, math.floor(vim.o.columns / 3))))
  end
  local win = vim.api.nvim_get_current_win()
  vim.api.nvim_win_set_buf(win, buf)
  vim.wo[win].wrap = true
  vim.wo[win].linebreak = true
  vim.wo[win].number = false
  vim.wo[win].conceallevel = 2
  return win
end

local function set_keymaps(view)
  local buf = view.buf
  local function map(modes, lhs, fn, desc)
    vim.keymap.set(modes, lhs, fn, { buffer = buf, silent = true, desc = 'OpenAgent chat: ' .. desc })
  end
  map('n', '<CR>', function() M.send(view) end, 'send')
  map('i', '<C-s>', function()
    vim.cmd.stopinsert()
    M.send(view)
  end, 'send')
  map({ 'n', 'i' }, '<C-c>', function() M.cancel(view) end, 'cancel the answer')
  map('n', 'q', function() M.close(view) end, 'close')
  map('n', 'gh', function() M.pick_history() end, 'open an earlier conversation')
end

---@param conversation_id string
---@param title string?
---@return openagent.ChatView
local function create_view(conversation_id, title)
  local buf = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_name(buf, 'openagent://chat/' .. conversation_id)
  vim.bo[buf].buftype = 'nofile'
  vim.bo[buf].bufhidden = 'hide'
  vim.bo[buf].swapfile = false
  vim.bo[buf].filetype = 'markdown'
  -- Markdown through treesitter where the parser is there (bundled with Neovim 0.10+).
  pcall(vim.treesitter.start, buf, 'markdown')
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, { '# ' .. (title or 'OpenAgent chat'), HELP })
  ---@type openagent.ChatView
  local view = {
    conversation_id = conversation_id,
    buf = buf,
    active = false,
    next_seq = 1,
    pending = {},
    received = 0,
  }
  views[conversation_id] = view
  set_keymaps(view)
  vim.api.nvim_create_autocmd('BufWipeout', {
    buffer = buf,
    once = true,
    callback = function()
      views[conversation_id] = nil
    end,
  })
  return view
end

--- A new "## You" heading with an empty line under it, where the user types.
local function start_prompt(view)
  append(view.buf, '\n\n' .. YOU .. '\n')
end

--- The message typed below the last "## You" heading.
---@param view openagent.ChatView
---@return string message
---@return integer heading_row 0-based row of that heading
local function typed_message(view)
  local lines = vim.api.nvim_buf_get_lines(view.buf, 0, -1, false)
  local heading = #lines
  for i = #lines, 1, -1 do
    if lines[i] == YOU then
      heading = i
      break
    end
  end
  local message = table.concat(vim.list_slice(lines, heading + 1), '\n')
  return vim.trim(message), heading - 1
end

--- Open the chat (the current conversation, or a new one), optionally about a range of code.
---@param opts? {context?: {uri: string, range: lsp.Range, label: string}, new?: boolean}
---@return openagent.ChatView
function M.open(opts)
  opts = opts or {}
  local view = not opts.new and M.current() or nil
  if not view then
    view = create_view(new_conversation_id())
    start_prompt(view)
  end
  current_id = view.conversation_id
  if opts.context then
    view.context = opts.context
  end
  local win = open_window(view.buf)
  vim.api.nvim_win_set_cursor(win, { vim.api.nvim_buf_line_count(view.buf), 0 })
  if view.context then
    vim.api.nvim_echo({ { 'OpenAgent: the next message is about ' .. view.context.label } }, false, {})
  end
  return view
end

---@param view openagent.ChatView
function M.close(view)
  for _, win in ipairs(vim.fn.win_findbuf(view.buf)) do
    if #vim.api.nvim_list_wins() > 1 then
      vim.api.nvim_win_close(win, false)
    end
  end
end

local function finish_turn(view, err, result)
  flush(view)
  view.active = false
  view.request_id = nil
  status.set_busy('chat-' .. view.conversation_id, nil)
  if not vim.api.nvim_buf_is_valid(view.buf) then
    return -- the chat buffer was wiped while the answer streamed
  end
  if err then
    append(view.buf, '\n\n**Error:** ' .. tostring(err.message or err))
    status.report_error('chat', err)
  elseif type(result) == 'table' then
    if view.received == 0 and type(result.text) == 'string' and result.text ~= '' then
      append(view.buf, result.text)
    end
    if result.cancelled then
      append(view.buf, '\n\n_(cancelled)_')
    elseif result.ok == false and type(result.error) == 'string' and result.error ~= '' then
      append(view.buf, '\n\n**Error:** ' .. result.error)
    end
  end
  vim.bo[view.buf].modifiable = true
  start_prompt(view)
  pcall(vim.api.nvim_exec_autocmds, 'User', {
    pattern = 'OpenAgentChatDone',
    modeline = false,
    data = { conversationId = view.conversation_id, result = result, error = err and (err.message or err) },
  })
end

--- Run one turn: show `shown` as the user's message, then stream the answer of `command`.
---@param view openagent.ChatView
---@param shown string
---@param command string openagent.chat, openagent.ask or openagent.explain
---@param argument table the command's argument; conversationId is added
---@param bufnr? integer the source buffer, to pick its client
function M.run_turn(view, shown, command, argument, bufnr)
  if view.active then
    vim.notify('OpenAgent: an answer is still streaming; <C-c> cancels it', vim.log.levels.WARN)
    return
  end
  local client = client_mod.require(bufnr)
  if not client then
    return
  end
  with_modifiable(view.buf, function()
    -- Replace what was typed under the last "## You" by the message as sent.
    local _, heading = typed_message(view)
    local count = vim.api.nvim_buf_line_count(view.buf)
    if heading < count and vim.api.nvim_buf_get_lines(view.buf, heading, heading + 1, true)[1] == YOU then
      vim.api.nvim_buf_set_lines(view.buf, heading + 1, -1, false, { '' })
    else
      vim.api.nvim_buf_set_lines(view.buf, -1, -1, false, { YOU, '' })
    end
  end)
  append(view.buf, shown .. '\n\n' .. AGENT .. '\n')
  vim.bo[view.buf].modifiable = false
  view.active = true
  view.next_seq = 1
  view.pending = {}
  view.received = 0
  view.client_id = client.id
  argument = vim.tbl_extend('force', argument, { conversationId = view.conversation_id })
  status.set_busy('chat-' .. view.conversation_id, 'thinking…')
  view.request_id = client_mod.execute(client, command, argument, function(err, result)
    finish_turn(view, err, result)
  end, bufnr)
end

--- Send what was typed under the last "## You" heading.
---@param view openagent.ChatView
function M.send(view)
  local message = typed_message(view)
  if message == '' then
    vim.notify('OpenAgent: type a message under "' .. YOU .. '" first', vim.log.levels.INFO)
    return
  end
  local argument = { message = message }
  local shown = message
  if view.context then
    argument.uri = view.context.uri
    argument.range = view.context.range
    shown = message .. '\n\n> about ' .. view.context.label
    view.context = nil
  end
  M.run_turn(view, shown, protocol.CMD_CHAT, argument)
end

--- Stop the running turn: the server stops generating (openagent.chat.cancel); if it had not
--- registered the turn yet, the request itself is cancelled.
---@param view openagent.ChatView
function M.cancel(view)
  if not view.active then
    return
  end
  local client = view.client_id and vim.lsp.get_client_by_id(view.client_id)
  if not client then
    return
  end
  client_mod.execute(client, protocol.CMD_CHAT_CANCEL, { conversationId = view.conversation_id }, function(err, result)
    if (err or not (result and result.cancelled)) and view.active and view.request_id then
      if require('openagent.compat').has('0.11') then
        client:cancel_request(view.request_id)
      else
        client.cancel_request(view.request_id)
      end
    end
  end)
end

--- Handler for openagent/chat/delta: {conversationId, seq, text}.
function M.delta_handler(_err, params)
  if type(params) ~= 'table' then
    return
  end
  local view = views[params.conversationId]
  if not view or type(params.seq) ~= 'number' or params.seq < view.next_seq then
    return -- not ours, or already applied
  end
  view.pending[params.seq] = params.text or ''
  while view.pending[view.next_seq] do
    local seq, text = view.next_seq, view.pending[view.next_seq]
    view.pending[seq] = nil
    view.next_seq = seq + 1
    view.received = view.received + 1
    view.unflushed = (view.unflushed or '') .. text
    pcall(vim.api.nvim_exec_autocmds, 'User', {
      pattern = 'OpenAgentChatDelta',
      modeline = false,
      data = { conversationId = view.conversation_id, seq = seq, text = text },
    })
  end
  if not view.flush_scheduled then
    view.flush_scheduled = true
    vim.schedule(function()
      flush(view)
    end)
  end
end

--- Render a stored conversation and continue it.
---@param conversation_id string
---@param title string?
---@param messages {role: string, content: string}[]
function M.show_history(conversation_id, title, messages)
  local view = views[conversation_id]
  if not view then
    view = create_view(conversation_id, title)
    for _, message in ipairs(messages) do
      local heading = message.role == 'user' and YOU or AGENT
      append(view.buf, '\n\n' .. heading .. '\n' .. tostring(message.content))
    end
    start_prompt(view)
  end
  current_id = conversation_id
  local win = open_window(view.buf)
  vim.api.nvim_win_set_cursor(win, { vim.api.nvim_buf_line_count(view.buf), 0 })
  return view
end

--- Pick an earlier conversation of this workspace (openagent.chat.list / openagent.chat.history).
function M.pick_history()
  local client = client_mod.require()
  if not client then
    return
  end
  client_mod.execute(client, protocol.CMD_CHAT_LIST, nil, function(err, list)
    if err then
      return status.report_error('chat history', err)
    end
    if type(list) ~= 'table' or #list == 0 then
      vim.notify('OpenAgent: no earlier conversations in this workspace', vim.log.levels.INFO)
      return
    end
    vim.ui.select(list, {
      prompt = 'OpenAgent: open a conversation',
      kind = 'openagent.history',
      format_item = function(c)
        return ('%s  (%d messages, %s)'):format(c.title or c.conversationId, c.messages or 0, tostring(c.updatedAt))
      end,
    }, function(choice)
      if not choice then
        return
      end
      client_mod.execute(client, protocol.CMD_CHAT_HISTORY, { conversationId = choice.conversationId },
        function(herr, messages)
          if herr then
            return status.report_error('chat history', herr)
          end
          M.show_history(choice.conversationId, choice.title, messages or {})
        end)
    end)
  end)
end

return M
