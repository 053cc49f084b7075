-- What the server is doing, for the statusline and :OpenAgentStatus: model state from $/progress
-- and openagent/statusChanged, work in progress (chat, actions), and the last error.
local compat = require('openagent.compat')
local protocol = require('openagent.protocol')

local M = {}

---@class openagent.State
---@field running boolean
---@field model_state string? 'idle'|'loading'|'ready'|'error'
---@field model_percent integer?
---@field model_message string?
---@field model_error string?
---@field busy table<string, string> work in progress: token -> what
---@field last_status table? the last openagent/status payload
local state = { running = false, busy = {} }

--- Let statuslines (lualine, heirline, …) redraw.
local function changed()
  vim.schedule(function()
    pcall(vim.api.nvim_exec_autocmds, 'User', { pattern = 'OpenAgentStatus', modeline = false })
    pcall(vim.cmd.redrawstatus)
  end)
end

---@return openagent.State
function M.get()
  return state
end

local function apply_payload(payload)
  if type(payload) ~= 'table' then
    return
  end
  state.last_status = payload
  local model = payload.model
  if type(model) ~= 'table' then
    return
  end
  local previous_error = state.model_error
  state.model_state = model.state
  state.model_percent = model.progress_percent ~= vim.NIL and model.progress_percent or nil
  state.model_error = model.error ~= vim.NIL and model.error or nil
  if model.state == 'error' and state.model_error and state.model_error ~= previous_error then
    vim.notify('OpenAgent: the model failed to load: ' .. state.model_error, vim.log.levels.ERROR)
  end
  changed()
end

function M.on_init(_client)
  state.running = true
  state.model_error = nil
  changed()
end

--- Ask for the status once a buffer attaches, so the statusline is right before any notification.
function M.attach(client)
  state.running = true
  compat.request(client, protocol.STATUS, {}, function(err, result)
    if not err then
      apply_payload(result)
    end
  end)
end

function M.on_exit(_client_id, code, signal)
  if #require('openagent.client').all() > 0 then
    return
  end
  state.running = false
  state.busy = {}
  state.model_state = nil
  if code ~= 0 and code ~= nil then
    vim.notify(('OpenAgent: the server exited (code %s, signal %s); see :LspLog'):format(code, signal or 0),
      vim.log.levels.ERROR)
  end
  changed()
end

--- `$/progress` from our server: model loading and chat turns. Neovim's own handler still runs
--- (it feeds vim.lsp.status() and the LspProgress event).
function M.progress_handler(err, result, ctx, cfg)
  local default = vim.lsp.handlers['$/progress']
  if default then
    default(err, result, ctx, cfg)
  end
  if err or type(result) ~= 'table' or type(result.value) ~= 'table' then
    return
  end
  local token, value = tostring(result.token), result.value
  local is_model = token:find('^openagent%-model') ~= nil
  if value.kind == 'begin' then
    if is_model then
      state.model_state = 'loading'
      state.model_percent = value.percentage
      state.model_message = value.message
    else
      state.busy[token] = value.message or value.title or 'working'
    end
  elseif value.kind == 'report' then
    if is_model then
      state.model_percent = value.percentage or state.model_percent
      state.model_message = value.message or state.model_message
    elseif state.busy[token] then
      state.busy[token] = value.message or state.busy[token]
    end
  elseif value.kind == 'end' then
    if is_model then
      state.model_percent = nil
      state.model_message = value.message
    else
      state.busy[token] = nil
    end
  end
  changed()
end

--- `openagent/statusChanged`: the full status payload, sent when the model state changes.
function M.status_changed_handler(_err, result)
  apply_payload(result)
end

--- Mark work the plugin started itself (code actions have no progress token).
---@param key string
---@param what string? nil ends it
function M.set_busy(key, what)
  state.busy[key] = what
  changed()
end

--- Record an error of a request the plugin made, and tell the user.
---@param what string
---@param err any
function M.report_error(what, err)
  local message = type(err) == 'table' and (err.message or vim.inspect(err)) or tostring(err)
  vim.notify(('OpenAgent: %s failed: %s'):format(what, message), vim.log.levels.ERROR)
end

--- A short text for the statusline: '' when the server is not running.
---@return string
function M.statusline()
  if not state.running then
    return ''
  end
  local busy = next(state.busy)
  if busy then
    return 'OpenAgent: ' .. state.busy[busy]
  end
  local s = state.model_state
  if s == 'loading' then
    return state.model_percent and ('OpenAgent: loading %d%%'):format(state.model_percent) or 'OpenAgent: loading'
  elseif s == 'error' then
    return 'OpenAgent: error'
  elseif s == 'ready' then
    return 'OpenAgent: ready'
  end
  return 'OpenAgent'
end

local function status_lines(payload)
  local model = payload.model or {}
  local counters = payload.completion or {}
  local lines = {
    '# OpenAgent',
    '',
    ('- server: openagent-lsp %s, up %ds'):format(payload.version or '?', math.floor(payload.uptimeSeconds or 0)),
    ('- model: `%s` (%s), %s'):format(tostring(model.model), tostring(payload.backend), tostring(model.state)),
  }
  if model.device and model.device ~= vim.NIL then
    table.insert(lines, ('- device: %s, precision %s'):format(model.device, tostring(model.precision)))
  end
  if model.load_seconds and model.load_seconds ~= vim.NIL then
    table.insert(lines, ('- loaded in %.1f s'):format(model.load_seconds))
  end
  if model.error and model.error ~= vim.NIL then
    table.insert(lines, '- error: ' .. tostring(model.error))
  end
  table.insert(lines, ('- completions: %d requests, %d shown, %d accepted, %d model calls, %d cache hits'):format(
    counters.requests or 0, counters.shown or 0, counters.accepted or 0, counters.model_calls or 0,
    (counters.cache_hits or 0) + (counters.typed_hits or 0)))
  if payload.sandbox and payload.sandbox ~= vim.NIL then
    table.insert(lines, '- sandbox: ' .. vim.inspect(payload.sandbox):gsub('\n%s*', ' '))
  end
  table.insert(lines, '- workspace: ' .. tostring(payload.workspace))
  table.insert(lines, '- open documents: ' .. tostring(payload.openDocuments))
  return lines
end

--- :OpenAgentStatus: the server's status in a floating window.
function M.show()
  local client = require('openagent.client').require(vim.api.nvim_get_current_buf())
  if not client then
    return
  end
  compat.request(client, protocol.STATUS, {}, function(err, result)
    if err then
      M.report_error('openagent/status', err)
      return
    end
    apply_payload(result)
    vim.lsp.util.open_floating_preview(status_lines(result), 'markdown', { border = 'rounded', focus_id = 'openagent-status' })
  end)
end

return M
