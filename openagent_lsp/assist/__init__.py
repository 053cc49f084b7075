"""What users do with a selection: code actions, chat and slash commands (no protocol code here)."""
