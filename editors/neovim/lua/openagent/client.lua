-- The LSP client of openagent-lsp: where the server is, the client config, registration with
-- vim.lsp.config/enable (0.11+) or vim.lsp.start (0.10), and requests to the running server.
local compat = require('openagent.compat')
local config = require('openagent.config')
local protocol = require('openagent.protocol')

local M = {}

M.name = protocol.name
local EXECUTABLE = 'openagent-lsp'

local function executable(path)
  return path ~= nil and path ~= '' and vim.fn.executable(path) == 1
end

--- Where the server is, and how it was found.
---@param opts? openagent.Options
---@return string[]? cmd
---@return string how it was found, or why it was not
function M.find_server(opts)
  opts = opts or config.get()
  if opts.cmd then
    return vim.deepcopy(opts.cmd), 'the cmd option'
  end
  if opts.server_path then
    local path = vim.fn.expand(opts.server_path)
    if executable(path) then
      return { path }, 'the server_path option'
    end
    return nil, ('server_path %q is not an executable'):format(path)
  end
  local bin = vim.fn.has('win32') == 1 and 'Scripts' or 'bin'
  for _, var in ipairs({ 'VIRTUAL_ENV', 'CONDA_PREFIX' }) do
    local prefix = vim.env[var]
    if prefix and prefix ~= '' then
      local path = vim.fs.joinpath(prefix, bin, EXECUTABLE)
      if executable(path) then
        return { path }, ('the active virtualenv ($%s)'):format(var)
      end
    end
  end
  local path = vim.fn.exepath(EXECUTABLE)
  if path ~= '' then
    return { path }, 'PATH'
  end
  return nil, EXECUTABLE .. ' is not on PATH nor in an active virtualenv (pip install openagent-lsp, or set server_path)'
end

local function on_attach(client, bufnr)
  require('openagent.inline').attach(client, bufnr)
  require('openagent.status').attach(client)
end

local function on_init(client)
  require('openagent.status').on_init(client)
end

local function on_exit(code, signal, client_id)
  vim.schedule(function()
    require('openagent.status').on_exit(client_id, code, signal)
  end)
end

--- The client config for vim.lsp.config / vim.lsp.start, built from the current options.
---@param opts? openagent.Options
---@return vim.lsp.Config
function M.lsp_config(opts)
  opts = opts or config.get()
  local cmd = M.find_server(opts)
  local settings = config.server_settings(opts)
  return {
    -- Not found: Neovim's own "failed to spawn" error names the command; setup() and
    -- :checkhealth say where it was looked for.
    cmd = cmd or { EXECUTABLE },
    cmd_env = opts.cmd_env,
    filetypes = vim.deepcopy(opts.filetypes),
    root_markers = vim.deepcopy(opts.root_markers),
    init_options = settings,
    settings = settings,
    handlers = {
      ['window/showMessageRequest'] = require('openagent.approvals').handler,
      ['$/progress'] = require('openagent.status').progress_handler,
      [protocol.STATUS_CHANGED] = require('openagent.status').status_changed_handler,
      [protocol.CHAT_DELTA] = require('openagent.chat').delta_handler,
    },
    commands = {
      [protocol.CMD_ASK_PROMPT] = function(command, ctx)
        require('openagent.actions').ask_from_command(command, ctx)
      end,
      [protocol.CMD_EXPLAIN] = function(command, ctx)
        require('openagent.actions').explain_from_command(command, ctx)
      end,
    },
    before_init = function(params)
      -- No ghost text wanted (or none possible): do not advertise inline completion, so the server
      -- registers its textDocument/completion fallback instead.
      local inline_opts = config.get().inline
      if not (inline_opts.enabled and compat.has_native_inline()) then
        local td = params.capabilities and params.capabilities.textDocument
        if td then
          td.inlineCompletion = nil
        end
      end
    end,
    on_init = on_init,
    on_attach = on_attach,
    on_exit = on_exit,
  }
end

local augroup = vim.api.nvim_create_augroup('openagent.client', { clear = true })

--- Register the server so it starts for the configured filetypes.
---@param opts openagent.Options
function M.register(opts)
  vim.api.nvim_clear_autocmds({ group = augroup })
  local cfg = M.lsp_config(opts)
  if compat.has_lsp_config() then
    -- Assigned, not merged: setup() owns this config, so options removed in a new setup() call
    -- do not linger from an old one.
    vim.lsp.config[M.name] = cfg
    vim.lsp.enable(M.name, opts.enabled)
    return
  end
  -- Neovim 0.10: start (or reuse) the client for each buffer of a configured filetype.
  if not opts.enabled then
    return
  end
  vim.api.nvim_create_autocmd('FileType', {
    group = augroup,
    pattern = opts.filetypes,
    callback = function(ev)
      M.start_for_buffer(ev.buf)
    end,
  })
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.tbl_contains(opts.filetypes, vim.bo[bufnr].filetype) then
      M.start_for_buffer(bufnr)
    end
  end
end

local function root_dir_for(bufnr, markers)
  local path = vim.api.nvim_buf_get_name(bufnr)
  local found = vim.fs.find(markers, { path = vim.fs.dirname(path), upward = true })[1]
  return found and vim.fs.dirname(found) or vim.fn.getcwd()
end

---@param bufnr integer
---@return integer? client_id
function M.start_for_buffer(bufnr)
  if vim.bo[bufnr].buftype ~= '' then
    return nil
  end
  local cfg = M.lsp_config()
  cfg.name = M.name
  cfg.root_dir = root_dir_for(bufnr, cfg.root_markers)
  return vim.lsp.start(cfg, { bufnr = bufnr })
end

--- The running client: the one attached to `bufnr` if any, else any running one.
---@param bufnr? integer
---@return vim.lsp.Client?
function M.get(bufnr)
  if bufnr then
    local attached = vim.lsp.get_clients({ name = M.name, bufnr = bufnr })[1]
    if attached then
      return attached
    end
  end
  return vim.lsp.get_clients({ name = M.name })[1]
end

--- All running clients of this server.
---@return vim.lsp.Client[]
function M.all()
  return vim.lsp.get_clients({ name = M.name })
end

--- The running client, or a notification saying why there is none.
---@param bufnr? integer
---@return vim.lsp.Client?
function M.require(bufnr)
  local client = M.get(bufnr)
  if client == nil then
    local _, why = M.find_server()
    local hint = M.find_server() and 'open a file of a configured filetype first' or why
    vim.notify('OpenAgent: the server is not running: ' .. hint, vim.log.levels.WARN)
  end
  return client
end

--- workspace/executeCommand with the callback getting (err, result).
---@param client vim.lsp.Client
---@param command string
---@param argument any the command's one argument (nil: none)
---@param callback? fun(err: lsp.ResponseError?, result: any)
---@param bufnr? integer
---@return integer? request_id
function M.execute(client, command, argument, callback, bufnr)
  local params = { command = command, arguments = argument ~= nil and { argument } or nil }
  local ok, request_id = compat.request(client, 'workspace/executeCommand', params, function(err, result)
    if callback then
      callback(err, result)
    end
  end, bufnr)
  return ok and request_id or nil
end

--- Whether the server lists `command` in executeCommandProvider.commands.
---@param client vim.lsp.Client
---@param command string
function M.offers_command(client, command)
  local provider = client.server_capabilities and client.server_capabilities.executeCommandProvider
  local commands = type(provider) == 'table' and provider.commands or {}
  return vim.tbl_contains(commands, command)
end

--- Re-send changed settings to running clients (workspace/didChangeConfiguration).
---@param opts openagent.Options
function M.push_settings(opts)
  local settings = config.server_settings(opts)
  for _, client in ipairs(M.all()) do
    if not vim.deep_equal(client.config.settings, settings) then
      client.config.settings = settings
      client.settings = settings
      compat.notify(client, 'workspace/didChangeConfiguration', { settings = settings })
    end
  end
end

return M
