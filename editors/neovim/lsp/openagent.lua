-- Lets `vim.lsp.enable('openagent')` (Neovim 0.11+) start openagent-lsp with the plugin's handlers
-- (approvals, progress, chat) and the options of the last require('openagent').setup(), or the
-- defaults.
return require('openagent.client').lsp_config()
