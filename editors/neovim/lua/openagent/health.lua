-- :checkhealth openagent — Neovim version, the server and its version, the model, how suggestions
-- are shown, the sandbox, and key clashes.
local compat = require('openagent.compat')
local config = require('openagent.config')
local protocol = require('openagent.protocol')

local M = {}

local health = vim.health

local function check_neovim()
  health.start('Neovim')
  local v = vim.version()
  local version = ('%d.%d.%d'):format(v.major, v.minor, v.patch)
  if not compat.has('0.10') then
    health.error('Neovim ' .. version .. ' is too old: OpenAgent needs 0.10 or newer')
    return
  end
  if compat.has_native_inline() then
    health.ok('Neovim ' .. version .. ': ghost text through vim.lsp.inline_completion')
  else
    health.ok('Neovim ' .. version .. ': suggestions through the textDocument/completion fallback')
    health.info('Ghost text needs Neovim 0.12 (vim.lsp.inline_completion)')
  end
  if compat.has_lsp_config() then
    health.ok("vim.lsp.config / vim.lsp.enable('openagent')")
  else
    health.info('Neovim 0.10: the server is started with vim.lsp.start on FileType')
  end
  if config.is_configured() then
    health.ok("require('openagent').setup() was called")
  else
    health.info("require('openagent').setup() was not called: the defaults apply")
  end
end

---@return string[]? cmd
local function check_server()
  health.start('Server')
  local client_mod = require('openagent.client')
  local cmd, how = client_mod.find_server()
  if not cmd then
    health.error('openagent-lsp not found: ' .. how, {
      'pip install openagent-lsp (in the virtualenv Neovim starts from, or on PATH)',
      "or setup({ server_path = '/path/to/openagent-lsp' })",
    })
    return nil
  end
  health.ok(('found through %s: %s'):format(how, table.concat(cmd, ' ')))
  local ok, result = pcall(function()
    local argv = vim.list_extend(vim.deepcopy(cmd), { 'version' })
    return vim.system(argv, { text = true, env = config.get().cmd_env }):wait(15000)
  end)
  if not ok then
    health.error('could not run the server: ' .. tostring(result))
  elseif result.code ~= 0 then
    health.error(('`%s version` failed (exit %s): %s'):format(table.concat(cmd, ' '), tostring(result.code),
      vim.trim((result.stderr or '') .. (result.stdout or ''))))
  else
    health.ok('version: ' .. vim.trim(result.stdout or ''))
  end
  return cmd
end

local function request_status(client)
  local response = compat.request_sync(client, protocol.STATUS, {}, 5000)
  if response and response.result then
    return response.result
  end
  return nil, response and response.err and response.err.message or 'no answer within 5 s'
end

local function check_running(client)
  health.start('Running server')
  if not client then
    health.info('not running: it starts when a file of a configured filetype opens ('
      .. table.concat(config.get().filetypes, ', ') .. ')')
    return nil
  end
  health.ok(('client %d, root %s'):format(client.id, tostring(client.root_dir or client.config.root_dir)))
  local payload, why = request_status(client)
  if not payload then
    health.warn('openagent/status: ' .. tostring(why))
    return nil
  end
  local model = payload.model or {}
  local describe = ('model %s (%s)'):format(tostring(model.model), tostring(payload.backend))
  if model.state == 'ready' then
    health.ok(describe .. ' ready' .. (model.device and model.device ~= vim.NIL
      and (' on ' .. model.device .. ', ' .. tostring(model.precision)) or ''))
  elseif model.state == 'loading' or model.state == 'idle' then
    health.info(describe .. ' ' .. tostring(model.state))
  else
    health.error(describe .. ' failed to load: ' .. tostring(model.error))
  end
  return payload
end

local function check_suggestions(client)
  health.start('Suggestions')
  local opts = config.get()
  if not opts.inline.enabled then
    health.info('ghost text is off (inline.enabled = false): the completion fallback is used')
  elseif not compat.has_native_inline() then
    health.info('ghost text needs Neovim 0.12: the completion fallback is used')
  end
  if client then
    local caps = client.server_capabilities or {}
    if caps.inlineCompletionProvider then
      health.ok('inline completion available (textDocument/inlineCompletion)')
    elseif caps.completionProvider then
      health.ok('completion fallback available (textDocument/completion)')
    else
      health.warn('the server offers neither inline completion nor completion')
    end
  end
  if opts.inline.enabled and compat.has_native_inline() then
    for name, lhs in pairs(opts.inline.keymaps) do
      if lhs then
        local existing = vim.fn.maparg(lhs, 'i', false, true)
        local ours = type(existing) == 'table' and existing.desc and existing.desc:find('^OpenAgent') ~= nil
        if type(existing) == 'table' and existing.lhs and not ours and existing.buffer == 0 then
          health.warn(('%s key %s is also mapped by something else in insert mode'):format(name, lhs))
        end
      end
    end
  end
end

local function check_sandbox(payload)
  health.start('Agent')
  if not payload then
    health.info('sandbox level: known once the server runs')
    return
  end
  local sandbox = payload.sandbox
  if sandbox == nil or sandbox == vim.NIL then
    health.warn('the server does not report its sandbox level (openagent/status has no "sandbox")')
    return
  end
  local level = type(sandbox) == 'table' and (sandbox.level or sandbox.name) or sandbox
  local detail = type(sandbox) == 'table' and sandbox.detail or nil
  if level == 'none' then
    health.warn('sandbox: none — commands the agent runs are only checked by the policy', detail and { detail } or nil)
  else
    health.ok('sandbox: ' .. tostring(level) .. (detail and (' (' .. tostring(detail) .. ')') or ''))
  end
end

local function check_chat()
  health.start('Chat')
  local ok = pcall(vim.treesitter.get_string_parser, '', 'markdown')
  if ok then
    health.ok('markdown treesitter parser: the chat is highlighted')
  else
    health.warn('no markdown treesitter parser: the chat shows plain text')
  end
end

function M.check()
  check_neovim()
  check_server()
  local client = require('openagent.client').get(vim.api.nvim_get_current_buf())
  local payload = check_running(client)
  check_suggestions(client)
  check_sandbox(payload)
  check_chat()
end

return M
