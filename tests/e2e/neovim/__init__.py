"""The Neovim plugin (editors/neovim) driven in a real Neovim over RPC."""
