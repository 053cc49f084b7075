// Slash commands typed in the chat box. The server expands /explain /fix /test /doc /commit /run;
// /clear and /history are handled by the extension itself.

export interface SlashCommand {
  name: string;
  description: string;
  needsSelection: boolean;
  local: boolean;
}

export const SLASH_COMMANDS: SlashCommand[] = [
  { name: '/explain', description: 'Explain the selected code', needsSelection: true, local: false },
  { name: '/fix', description: 'Find and fix bugs in the selected code', needsSelection: true, local: false },
  { name: '/test', description: 'Write unit tests for the selected code', needsSelection: true, local: false },
  { name: '/doc', description: 'Write a docstring for the selected code', needsSelection: true, local: false },
  { name: '/commit', description: 'Write a commit message for the staged changes', needsSelection: false, local: false },
  { name: '/run', description: 'Run a command (the policy decides; risky commands ask you first)', needsSelection: false, local: false },
  { name: '/clear', description: 'Start a new conversation', needsSelection: false, local: true },
  { name: '/history', description: 'Open an earlier conversation', needsSelection: false, local: true },
];

export function slashCommandOf(message: string): SlashCommand | undefined {
  const word = message.trimStart().split(/\s/, 1)[0];
  return SLASH_COMMANDS.find(c => c.name === word);
}

/** Completions for what the user is typing, when it starts with a slash and has no space yet. */
export function slashSuggestions(input: string): SlashCommand[] {
  if (!input.startsWith('/') || /\s/.test(input)) {
    return [];
  }
  return SLASH_COMMANDS.filter(c => c.name.startsWith(input));
}
