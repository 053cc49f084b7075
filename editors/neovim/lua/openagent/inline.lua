-- Suggestions in insert mode: ghost text through Neovim 0.12's vim.lsp.inline_completion, with
-- accept / accept word / accept line / next / previous / dismiss / trigger keys; on older Neovim (or
-- with ghost text off) the server's textDocument/completion fallback through vim.lsp.completion.
-- Every acceptance runs the item's `openagent.completion.accepted` command, so the server counts it.
local compat = require('openagent.compat')
local config = require('openagent.config')

local M = {}

---@param bufnr integer
---@return boolean
local function uses_ghost_text(bufnr)
  return compat.has_native_inline() and vim.lsp.inline_completion.is_enabled({ bufnr = bufnr })
end

--- The text of an item from the cursor on: what accepting it would add. nil when the item does not
--- continue what is before the cursor any more, or replaces text after it (only whole acceptance).
---@param item vim.lsp.inline_completion.Item
---@param bufnr integer
---@return string?
function M.remaining_text(item, bufnr)
  local text = item.insert_text
  if type(text) ~= 'string' then
    return nil -- a snippet: only whole acceptance expands it correctly
  end
  local win = vim.fn.bufwinid(bufnr)
  local cursor = vim.api.nvim_win_get_cursor(win)
  local row, col = cursor[1] - 1, cursor[2]
  local range = item.range
  if not range then
    return text
  end
  local start, stop = range.start, range.end_
  if start.row ~= row or stop.row ~= row or start.col > col or stop.col > col then
    return nil
  end
  local line = vim.api.nvim_buf_get_lines(bufnr, row, row + 1, true)[1]
  -- What the range covers plus what was typed since the request, all of it before the cursor.
  local typed = line:sub(start.col + 1, col)
  if text:sub(1, #typed) ~= typed then
    return nil
  end
  return text:sub(#typed + 1)
end

--- The next word of `text`: leading blanks, then a run of word characters or of punctuation.
---@param text string
---@return string
function M.next_word(text)
  local lead = text:match('^%s*') or ''
  local rest = text:sub(#lead + 1)
  local word = rest:match('^[%w_]+') or rest:match('^[^%w_%s]+') or ''
  return lead .. word
end

--- The rest of the current line of `text`, or the next line when this one is already complete.
---@param text string
---@return string
function M.next_line(text)
  local line = text:match('^[^\n]*') or ''
  if line ~= '' then
    return line
  end
  return text:match('^\n[^\n]*') or text
end

--- Insert `part` at the cursor and put the cursor after it.
local function insert_at_cursor(bufnr, part)
  local win = vim.fn.bufwinid(bufnr)
  local cursor = vim.api.nvim_win_get_cursor(win)
  local row, col = cursor[1] - 1, cursor[2]
  local lines = vim.split(part, '\n', { plain = true })
  vim.api.nvim_buf_set_text(bufnr, row, col, row, col, lines)
  local last_row = row + #lines - 1
  local last_col = (#lines == 1 and col or 0) + #lines[#lines]
  vim.api.nvim_win_set_cursor(win, { last_row + 1, last_col })
end

--- Run the item's acceptance command for the part that was accepted.
local function report_accepted(item, bufnr, accepted_text, partial)
  local command = item.command
  if not command then
    return
  end
  command = vim.deepcopy(command)
  local arg = command.arguments and command.arguments[1]
  if type(arg) == 'table' then
    arg.text = accepted_text
    arg.partial = partial or nil
  end
  local client = vim.lsp.get_client_by_id(item.client_id)
  if client then
    if compat.has('0.11') then
      client:exec_cmd(command, { bufnr = bufnr })
    else
      compat.request(client, 'workspace/executeCommand', { command = command.command, arguments = command.arguments })
    end
  end
end

--- Accept a whole item the way Neovim does (its range replaced by the text), then report it.
local function accept_whole(item, bufnr)
  local text = item.insert_text
  if type(text) ~= 'string' then
    vim.snippet.expand(text.value)
    report_accepted(item, bufnr, text.value, false)
    return
  end
  local range = item.range
  if range then
    local lines = vim.split(text, '\n', { plain = true })
    vim.api.nvim_buf_set_text(bufnr, range.start.row, range.start.col, range.end_.row, range.end_.col, lines)
    local last_col = (#lines == 1 and range.start.col or 0) + #lines[#lines]
    vim.api.nvim_win_set_cursor(vim.fn.bufwinid(bufnr), { range.start.row + #lines, last_col })
  else
    insert_at_cursor(bufnr, text)
  end
  report_accepted(item, bufnr, text, false)
end

--- Accept part of the shown suggestion, chosen by `pick` from the remaining text.
---@param pick fun(text: string): string
---@return boolean whether a suggestion was shown
local function accept_part(pick)
  local bufnr = vim.api.nvim_get_current_buf()
  return vim.lsp.inline_completion.get({
    bufnr = bufnr,
    on_accept = function(item)
      local rest = M.remaining_text(item, bufnr)
      if rest == nil then
        accept_whole(item, bufnr) -- cannot be split safely
        return
      end
      local part = pick(rest)
      if part == '' then
        return
      end
      insert_at_cursor(bufnr, part)
      report_accepted(item, bufnr, part, #part < #rest)
      -- Moving the cursor asks again; the server answers the rest from its cache ("typing as
      -- suggested"), with no model call.
    end,
  })
end

--- Accept the whole suggestion. Not Neovim's own accept: that one inserts an item at the range it
--- was computed for, so characters typed since the request would end up after it; this inserts
--- what is left of the suggestion at the cursor.
---@return boolean
function M.accept()
  if uses_ghost_text(0) then
    return accept_part(function(text)
      return text
    end)
  end
  return false
end

---@return boolean
function M.accept_word()
  if uses_ghost_text(0) then
    return accept_part(M.next_word)
  end
  return false
end

---@return boolean
function M.accept_line()
  if uses_ghost_text(0) then
    return accept_part(M.next_line)
  end
  return false
end

---@param count integer
function M.select(count)
  if uses_ghost_text(0) then
    vim.lsp.inline_completion.select({ count = count })
  end
end

--- Hide the suggestion (and drop pending requests) without inserting anything.
---@return boolean whether one was shown
function M.dismiss()
  if not uses_ghost_text(0) then
    return false
  end
  return vim.lsp.inline_completion.get({ on_accept = function() end })
end

--- Ask for a suggestion now (trigger kind Invoked: the server skips its debounce).
function M.trigger()
  local bufnr = vim.api.nvim_get_current_buf()
  if uses_ghost_text(bufnr) then
    -- Neovim 0.12 has no public "request now"; its completor does. Without it, a cursor-moved event
    -- makes the completor ask as if the user typed.
    local ok = pcall(function()
      local capability = require('vim.lsp._capability').all.inline_completion
      local completor = capability and capability.active[bufnr]
      assert(completor and completor.request)
      completor:request(vim.lsp.protocol.InlineCompletionTriggerKind.Invoked)
    end)
    if not ok then
      vim.api.nvim_exec_autocmds('CursorMovedI', { buffer = bufnr, modeline = false })
    end
    return
  end
  if vim.lsp.completion and vim.lsp.completion.get then
    vim.lsp.completion.get()
  else
    vim.api.nvim_feedkeys(vim.keycode('<C-x><C-o>'), 'n', false)
  end
end

-- Key handlers: each returns true when it did something; otherwise the key is typed as usual, so a
-- user who maps <Tab> to accept keeps <Tab> when nothing is shown.
local actions = {
  accept = { fn = M.accept, desc = 'OpenAgent: accept the suggestion' },
  accept_word = { fn = M.accept_word, desc = 'OpenAgent: accept the next word of the suggestion' },
  accept_line = { fn = M.accept_line, desc = 'OpenAgent: accept the next line of the suggestion' },
  next = { fn = function() M.select(1) return true end, desc = 'OpenAgent: next suggestion' },
  prev = { fn = function() M.select(-1) return true end, desc = 'OpenAgent: previous suggestion' },
  dismiss = { fn = M.dismiss, desc = 'OpenAgent: dismiss the suggestion' },
  trigger = { fn = function() M.trigger() return true end, desc = 'OpenAgent: suggest now' },
}

-- The keys this plugin mapped in each buffer, so a new setup() replaces them instead of adding.
local mapped = {} ---@type table<integer, string[]>

local function clear_keymaps(bufnr)
  for _, lhs in ipairs(mapped[bufnr] or {}) do
    pcall(vim.keymap.del, 'i', lhs, { buffer = bufnr })
  end
  mapped[bufnr] = {}
end

local function map(bufnr, lhs, rhs, opts)
  vim.keymap.set('i', lhs, rhs, vim.tbl_extend('force', opts, { buffer = bufnr, silent = true }))
  table.insert(mapped[bufnr], lhs)
end

local function set_keymaps(bufnr)
  local keymaps = config.get().inline.keymaps
  for name, action in pairs(actions) do
    local lhs = keymaps[name]
    if lhs then
      map(bufnr, lhs, function()
        if action.fn() then
          return ''
        end
        return vim.keycode(lhs)
      end, { expr = true, replace_keycodes = false, desc = action.desc })
    end
  end
end

-- Neovim's own completion (vim.lsp.completion, and the omnifunc) inserts only the first word of a
-- plain-text item; a suggestion is a whole line or block. After one of ours was accepted, insert
-- the rest of its text, and on 0.10 (no vim.lsp.completion) run its acceptance command as well.
local function complete_whole_items(bufnr)
  vim.api.nvim_create_autocmd('CompleteDone', {
    group = vim.api.nvim_create_augroup('openagent.completion.' .. bufnr, { clear = true }),
    buffer = bufnr,
    callback = function()
      local item = vim.v.completed_item or {}
      local lsp_item = vim.tbl_get(item, 'user_data', 'nvim', 'lsp', 'completion_item')
      local command = lsp_item and lsp_item.command
      if not (command and command.command == require('openagent.protocol').CMD_COMPLETION_ACCEPTED) then
        return
      end
      local reason = vim.v.event and vim.v.event.reason
      if reason ~= nil and reason ~= 'accept' then
        return
      end
      local word = item.word or ''
      local new_text = vim.tbl_get(lsp_item, 'textEdit', 'newText')
      if type(new_text) == 'string' and word ~= '' and #new_text > #word and new_text:sub(1, #word) == word then
        local col = vim.api.nvim_win_get_cursor(0)[2]
        local line = vim.api.nvim_get_current_line()
        if line:sub(col - #word + 1, col) == word then
          insert_at_cursor(bufnr, new_text:sub(#word + 1))
        end
      end
      if not (vim.lsp.completion and vim.lsp.completion.enable) then
        local client = require('openagent.client').get(bufnr)
        if client then
          compat.request(client, 'workspace/executeCommand', { command = command.command, arguments = command.arguments })
        end
      end
    end,
  })
end

--- Set up suggestions for a buffer the client attached to.
---@param client vim.lsp.Client
---@param bufnr integer
function M.attach(client, bufnr)
  local opts = config.get()
  local caps = client.server_capabilities or {}
  clear_keymaps(bufnr)
  local ghost = opts.inline.enabled and compat.has_native_inline() and caps.inlineCompletionProvider
  if compat.has_native_inline() then
    vim.lsp.inline_completion.enable(ghost and true or false, { bufnr = bufnr })
  end
  if ghost then
    set_keymaps(bufnr)
    return
  end
  if not (opts.fallback.enabled and caps.completionProvider) then
    return
  end
  if opts.fallback.completeopt then
    -- Buffer-local since 0.11; on 0.10 the option is global and stays the user's.
    pcall(function()
      vim.bo[bufnr].completeopt = opts.fallback.completeopt
    end)
  end
  if vim.lsp.completion and vim.lsp.completion.enable then
    vim.lsp.completion.enable(true, client.id, bufnr, { autotrigger = opts.fallback.autotrigger })
  end
  complete_whole_items(bufnr)
  local lhs = opts.inline.keymaps.trigger
  if lhs then
    map(bufnr, lhs, M.trigger, { desc = actions.trigger.desc })
  end
end

vim.api.nvim_create_autocmd('BufWipeout', {
  group = vim.api.nvim_create_augroup('openagent.inline', { clear = true }),
  callback = function(ev)
    mapped[ev.buf] = nil
  end,
})

return M
