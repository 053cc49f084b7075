// Reading an approval request out of window/showMessageRequest.
//
// The server words it as (openagent_lsp/server/approvals.py):
//   OpenAgent wants to run this command:\n\n<subject>\n\nRisk: HIGH — <reason>\nRule: <rule>
// optionally followed by lines such as "Sandbox: <what the command may touch>". Anything that does not
// look like this is an ordinary prompt and is shown as one.

export type MessageAction = {
  title: string;
};

export interface ApprovalPrompt {
  /** "run this command" or "do this file operation". */
  what: string;
  subject: string;
  risk: string;
  reason: string;
  rule: string;
  sandbox: string;
  /** Any further lines the server added, shown as they are. */
  extra: string[];
  actions: MessageAction[];
}

const HEADER = /^OpenAgent wants to (.+?):\s*$/;

export function parseApproval(message: string, actions: MessageAction[] = []): ApprovalPrompt | undefined {
  const blocks = message.split(/\n\s*\n/);
  const header = HEADER.exec(blocks[0]?.trim() ?? '');
  if (!header || blocks.length < 3) {
    return undefined;
  }
  const subject = blocks.slice(1, -1).join('\n\n').trim();
  const prompt: ApprovalPrompt = {
    what: header[1], subject, risk: '', reason: '', rule: '', sandbox: '', extra: [], actions,
  };
  for (const line of blocks[blocks.length - 1].split('\n').map(l => l.trim()).filter(Boolean)) {
    const risk = /^Risk:\s*(\S+)\s*(?:[—–-]\s*(.*))?$/.exec(line);
    const field = /^(Rule|Sandbox):\s*(.*)$/.exec(line);
    if (risk) {
      prompt.risk = risk[1];
      prompt.reason = risk[2] ?? '';
    } else if (field?.[1] === 'Rule') {
      prompt.rule = field[2];
    } else if (field?.[1] === 'Sandbox') {
      prompt.sandbox = field[2];
    } else {
      prompt.extra.push(line);
    }
  }
  return prompt.risk ? prompt : undefined;
}

/** Title and detail of the modal dialog: the exact command first, then why it is asked. */
export function dialogText(prompt: ApprovalPrompt): { title: string; detail: string } {
  const lines = [prompt.subject, '', `Risk: ${prompt.risk}${prompt.reason ? ` — ${prompt.reason}` : ''}`];
  if (prompt.rule) {
    lines.push(`Rule: ${prompt.rule}`);
  }
  lines.push(prompt.sandbox ? `Sandbox: ${prompt.sandbox}` : 'Sandbox: not reported by the server');
  lines.push(...prompt.extra);
  // The server says what the grant covers ("Always allow: ..."); older servers do not, so say it here.
  const serverSaysWhatItGrants = prompt.extra.some(line => line.startsWith('Always allow:'));
  if (!serverSaysWhatItGrants && prompt.actions.some(a => isAlwaysAllow(a.title))) {
    lines.push('', `"${ALWAYS_ALLOW_LABEL}" remembers this exact ${prompt.what.includes('command') ? 'command shape' : 'operation'} ` +
      'for this workspace only; anything else still asks.');
  }
  return { title: `OpenAgent wants to ${prompt.what}`, detail: lines.join('\n') };
}

const ALWAYS_ALLOW_LABEL = 'Always allow in this workspace';

export function isAlwaysAllow(title: string): boolean {
  return title.startsWith('Always allow');
}

/** Titles that refuse: the dialog marks one of them as its close affordance, so Escape picks it. */
export function isRefusal(title: string): boolean {
  return /^(deny|no|cancel|reject)\b/i.test(title);
}
