-- The few Neovim API differences between 0.10, 0.11 and 0.12, in one place.
local M = {}

---@param version string e.g. '0.11'
---@return boolean
function M.has(version)
  return vim.fn.has('nvim-' .. version) == 1
end

--- True when Neovim shows LSP inline completions itself (0.12: vim.lsp.inline_completion).
function M.has_native_inline()
  return vim.lsp.inline_completion ~= nil and type(vim.lsp.inline_completion.get) == 'function'
end

--- True when Neovim has vim.lsp.config / vim.lsp.enable (0.11+).
function M.has_lsp_config()
  return type(vim.lsp.config) == 'table' and type(vim.lsp.enable) == 'function'
end

--- vim.validate with the 0.11 signature, falling back to the table form on 0.10.
---@param name string the option's name, as the user writes it
---@param value any
---@param types string|string[]|fun(v: any): boolean, string?
---@param optional? boolean
---@param message? string what was expected, for function validators
function M.validate(name, value, types, optional, message)
  if M.has('0.11') then
    vim.validate(name, value, types, optional, message)
  elseif type(types) == 'function' then
    vim.validate({ [name] = { value, types, message } })
  else
    vim.validate({ [name] = { value, types, optional } })
  end
end

-- Client methods: 0.11 made them methods (client:request); 0.10 has them as fields (client.request).

function M.request(client, method, params, handler, bufnr)
  if M.has('0.11') then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

function M.request_sync(client, method, params, timeout_ms, bufnr)
  if M.has('0.11') then
    return client:request_sync(method, params, timeout_ms, bufnr)
  end
  return client.request_sync(method, params, timeout_ms, bufnr)
end

function M.notify(client, method, params)
  if M.has('0.11') then
    return client:notify(method, params)
  end
  return client.notify(method, params)
end

return M
