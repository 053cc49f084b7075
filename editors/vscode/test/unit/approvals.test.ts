import * as assert from 'assert';
import { answerShowMessageRequest, ApprovalDialog } from '../../src/approvals/handler';
import { dialogText, parseApproval } from '../../src/approvals/message';

// The server's wording (openagent_lsp/server/approvals.py: approval_message).
const MESSAGE = 'OpenAgent wants to run this command:\n\npython3 -c "open(\'m.txt\', \'w\')"\n\n' +
  'Risk: HIGH — runs an interpreter with inline code\nRule: interpreter-inline';
const ACTIONS = [{ title: 'Run once' }, { title: 'Always allow in this workspace' }, { title: 'Deny' }];
const request = { type: 2, message: MESSAGE, actions: ACTIONS };

describe('approval messages', () => {
  it('reads command, risk, reason and rule', () => {
    const prompt = parseApproval(MESSAGE, ACTIONS)!;
    assert.strictEqual(prompt.what, 'run this command');
    assert.strictEqual(prompt.subject, 'python3 -c "open(\'m.txt\', \'w\')"');
    assert.strictEqual(prompt.risk, 'HIGH');
    assert.strictEqual(prompt.reason, 'runs an interpreter with inline code');
    assert.strictEqual(prompt.rule, 'interpreter-inline');
  });

  it('shows the sandbox line when the server sends one, and says so when it does not', () => {
    const withSandbox = parseApproval(`${MESSAGE}\nSandbox: writes inside the workspace only, no network`, ACTIONS)!;
    assert.match(dialogText(withSandbox).detail, /Sandbox: writes inside the workspace only, no network/);
    assert.match(dialogText(parseApproval(MESSAGE, ACTIONS)!).detail, /Sandbox: not reported by the server/);
  });

  it('keeps a multi-paragraph subject whole', () => {
    const prompt = parseApproval('OpenAgent wants to run this command:\n\nline one\n\nline two\n\nRisk: MEDIUM — x\nRule: r')!;
    assert.strictEqual(prompt.subject, 'line one\n\nline two');
  });

  it('words "Always allow" as what it grants', () => {
    assert.match(dialogText(parseApproval(MESSAGE, ACTIONS)!).detail, /remembers this exact command shape for this workspace only/);
  });

  it('shows the server\'s own "Always allow:" line once, without a second note', () => {
    const grant = 'Always allow: `python3 -c` with exactly this code, in this workspace; anything else still asks';
    const detail = dialogText(parseApproval(`${MESSAGE}\n${grant}`, ACTIONS)!).detail;
    assert.strictEqual(detail.split(grant).length - 1, 1);
    assert.doesNotMatch(detail, /remembers this exact/);
  });

  it('is not fooled by ordinary prompts', () => {
    assert.strictEqual(parseApproval('Reload the window?', ACTIONS), undefined);
    assert.strictEqual(parseApproval('OpenAgent wants to run this command:\n\nls', ACTIONS), undefined);
  });
});

describe('answering window/showMessageRequest', () => {
  const noNotification = async () => { throw new Error('an approval must not become a notification'); };

  it('dismissing the dialog answers null (no)', async () => {
    const answer = await answerShowMessageRequest(request, async () => undefined, noNotification);
    assert.strictEqual(answer, null);
  });

  it('a failing dialog answers null (no)', async () => {
    const answer = await answerShowMessageRequest(request, async () => { throw new Error('gone'); }, noNotification);
    assert.strictEqual(answer, null);
  });

  it('the chosen button is returned as the server\'s action item', async () => {
    const answer = await answerShowMessageRequest(request, async () => 'Run once', noNotification);
    assert.deepStrictEqual(answer, { title: 'Run once' });
  });

  it('shows the exact command first and makes "Deny" the close button (Escape)', async () => {
    let seen: Parameters<ApprovalDialog> | undefined;
    const records: unknown[] = [];
    await answerShowMessageRequest(request, async (...args) => { seen = args; return 'Deny'; }, noNotification, r => records.push(r));
    const [title, detail, buttons, close] = seen!;
    assert.strictEqual(title, 'OpenAgent wants to run this command');
    assert.ok(detail.startsWith('python3 -c "open(\'m.txt\', \'w\')"\n'));
    assert.deepStrictEqual(buttons, ['Run once', 'Always allow in this workspace', 'Deny']);
    assert.strictEqual(close, 'Deny');
    assert.strictEqual(records.length, 1);
  });

  it('an answer that is not one of the actions is no', async () => {
    assert.strictEqual(await answerShowMessageRequest(request, async () => 'Yes please', noNotification), null);
  });

  it('other requests are shown as notifications', async () => {
    const answer = await answerShowMessageRequest({ type: 3, message: 'Reload?', actions: [{ title: 'Reload' }] },
      async () => { throw new Error('not a dialog'); }, async (_t, _m, buttons) => buttons[0]);
    assert.deepStrictEqual(answer, { title: 'Reload' });
  });
});
