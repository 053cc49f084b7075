-- Options of require('openagent').setup(opts): defaults, validation, and the current values.
local compat = require('openagent.compat')

local M = {}

---@class openagent.Keymaps
---@field accept string|false       accept the whole suggestion
---@field accept_word string|false  accept the next word
---@field accept_line string|false  accept the rest of the line (or the next line)
---@field next string|false         next suggestion
---@field prev string|false         previous suggestion
---@field dismiss string|false      hide the suggestion
---@field trigger string|false      ask for a suggestion now

---@class openagent.Options
M.defaults = {
  enabled = true,
  -- How to start the server. `cmd` wins; else `server_path`; else `openagent-lsp` from the active
  -- virtualenv ($VIRTUAL_ENV / $CONDA_PREFIX), else from PATH.
  cmd = nil, ---@type string[]?
  server_path = nil, ---@type string?
  cmd_env = nil, ---@type table<string, string>?
  filetypes = {
    'python', 'javascript', 'javascriptreact', 'typescript', 'typescriptreact', 'go', 'rust', 'lua',
    'sh', 'bash', 'c', 'cpp', 'java', 'markdown',
  },
  root_markers = { '.git', 'pyproject.toml', 'package.json', 'go.mod', 'Cargo.toml' },
  -- Server settings (camelCase or snake_case, as in the README's table). Sent as
  -- initializationOptions, and again with workspace/didChangeConfiguration when setup() changes them.
  settings = {},
  inline = {
    -- Ghost text through vim.lsp.inline_completion (Neovim 0.12+). Off, or on older Neovim, the
    -- server offers its textDocument/completion fallback instead.
    enabled = true,
    -- Meta keys, as in copilot.lua/copilot.vim: none of them is used by nvim-cmp's or blink.cmp's
    -- presets (<Tab>, <C-n>, <C-p>, <C-y>, <C-e>, <C-Space>, <CR>). Set a key to false to skip it.
    keymaps = {
      accept = '<M-l>',
      accept_word = '<M-w>',
      accept_line = '<M-j>',
      next = '<M-]>',
      prev = '<M-[>',
      dismiss = '<C-]>',
      trigger = '<M-\\>',
    },
  },
  fallback = {
    -- Neovim 0.11+ without ghost text: show the server's items with vim.lsp.completion, popping up
    -- on the server's trigger characters. Turn off when nvim-cmp or blink.cmp shows them already.
    enabled = true,
    autotrigger = true,
    -- The server answers with one item, which 'completeopt' without "menuone" never shows: set
    -- for the attached buffers only. false keeps yours.
    completeopt = 'menuone,noselect,popup',
  },
  chat = {
    layout = 'vertical', ---@type 'vertical'|'horizontal'|'tab'
    size = nil, ---@type integer? columns (vertical) or lines (horizontal); default: a third of the screen
  },
  approvals = {
    -- Prompts with more lines than this, or wider than the screen, are shown in a floating window
    -- above the picker, so the command is never cut.
    float_min_lines = 2,
  },
}

local current = vim.deepcopy(M.defaults)
local configured = false

local function is_key_or_false(v)
  return v == false or (type(v) == 'string' and v ~= '')
end

local function is_string_list(v)
  if type(v) ~= 'table' or not vim.islist(v) then
    return false
  end
  for _, item in ipairs(v) do
    if type(item) ~= 'string' then
      return false
    end
  end
  return true
end

-- The shape of every option: a validator per dotted name. Unknown names are errors too, so a typo
-- is reported instead of ignored.
local schema = {
  ['enabled'] = 'boolean',
  ['cmd'] = { is_string_list, 'list of strings' },
  ['server_path'] = 'string',
  ['cmd_env'] = 'table',
  ['filetypes'] = { is_string_list, 'list of strings' },
  ['root_markers'] = { is_string_list, 'list of strings' },
  ['settings'] = 'table',
  ['inline'] = 'table',
  ['inline.enabled'] = 'boolean',
  ['inline.keymaps'] = 'table',
  ['fallback'] = 'table',
  ['fallback.enabled'] = 'boolean',
  ['fallback.autotrigger'] = 'boolean',
  ['fallback.completeopt'] = { is_key_or_false, "an option value (string) or false" },
  ['chat'] = 'table',
  ['chat.layout'] = {
    function(v)
      return v == 'vertical' or v == 'horizontal' or v == 'tab'
    end,
    "'vertical', 'horizontal' or 'tab'",
  },
  ['chat.size'] = {
    function(v)
      return type(v) == 'number' and v >= 1 and math.floor(v) == v
    end,
    'a positive integer',
  },
  ['approvals'] = 'table',
  ['approvals.float_min_lines'] = {
    function(v)
      return type(v) == 'number' and v >= 1
    end,
    'a number >= 1',
  },
}
for name in pairs(M.defaults.inline.keymaps) do
  schema['inline.keymaps.' .. name] = { is_key_or_false, 'a key (string) or false' }
end

-- Tables whose keys are free: their content is validated elsewhere (settings by the server).
local open_tables = { settings = true, cmd_env = true }

local function validate_table(prefix, opts)
  for key, value in pairs(opts) do
    local name = prefix == '' and tostring(key) or (prefix .. '.' .. tostring(key))
    local rule = schema[name]
    if rule == nil then
      error(('openagent.setup: unknown option %q'):format(name), 0)
    end
    local ok, err
    if type(rule) == 'table' then
      ok, err = pcall(compat.validate, name, value, rule[1], true, rule[2])
    else
      ok, err = pcall(compat.validate, name, value, rule, true)
    end
    if not ok then
      error('openagent.setup: ' .. tostring(err), 0)
    end
    if type(value) == 'table' and not open_tables[name] and not vim.islist(value) then
      validate_table(name, value)
    end
  end
end

--- Check `opts` and raise an error naming the first bad option.
---@param opts table
function M.validate(opts)
  compat.validate('opts', opts, 'table', true)
  validate_table('', opts or {})
end

--- Validate, merge with the defaults and make the result current.
---@param opts? table
---@return openagent.Options
function M.apply(opts)
  opts = opts or {}
  M.validate(opts)
  local merged = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), opts)
  -- Lists replace, never merge index by index.
  for _, key in ipairs({ 'cmd', 'filetypes', 'root_markers' }) do
    if opts[key] ~= nil then
      merged[key] = vim.deepcopy(opts[key])
    end
  end
  current = merged
  configured = true
  return current
end

---@return openagent.Options
function M.get()
  return current
end

--- Whether setup() ran (commands and `vim.lsp.enable('openagent')` also work on the defaults).
function M.is_configured()
  return configured
end

--- The settings the server receives: the user's, plus what suits Neovim's client.
---@param opts? openagent.Options
---@return table
function M.server_settings(opts)
  opts = opts or current
  local settings = vim.deepcopy(opts.settings or {})
  -- Neovim's inline completion already waits 200 ms after the last key before it asks, so the
  -- server need not debounce again, unless the user says otherwise.
  local completion = settings.completion
  if completion == nil then
    completion = {}
    settings.completion = completion
  end
  if type(completion) == 'table' and completion.debounceMs == nil and completion.debounce_ms == nil then
    completion.debounceMs = 0
  end
  return settings
end

return M
