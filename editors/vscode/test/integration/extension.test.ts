// The extension inside a real VS Code, driving the real Python server with the tests' tiny model.
// The tiny model's text is noise: these tests check mechanics (what arrives, in which order, what runs),
// never wording. Tests run in order and share one server, as a user's session would.

import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { OpenAgentApi } from '../../src/api';
import type { ApprovalRecord } from '../../src/approvals/handler';
import { keepScreenshot, openagent, openFile, waitFor, within, WORKSPACE } from './helpers';

const GEO = `import math


def area(radius):
    return math.pi * radius ** 2


def unused():
    pass
`;

interface ServerStatus {
  model: { state: string };
  completion: { accepted: number; shown: number };
}

describe('OpenAgent in VS Code', function () {
  let api: OpenAgentApi;

  const status = async () => (await api.client()!.sendRequest('openagent/status', {})) as ServerStatus;

  before(async function () {
    this.timeout(60000);
    api = await openagent();
  });

  afterEach(async function () {
    await keepScreenshot(this.currentTest);
  });

  it('activates, starts the server, and the status item reaches ready', async function () {
    this.timeout(120000);
    await waitFor('a running language client', () => api.client(), 90000);
    const view = await waitFor('status "ready"', () => (api.status.current().word === 'ready' ? api.status.current() : undefined), 90000);
    assert.match(view.tooltip, /^Ready: /);
    assert.strictEqual((await status()).model.state, 'ready');
  });

  it('shows an inline completion and reports its acceptance through the item command', async function () {
    this.timeout(90000);
    const editor = await openFile('add.py', 'def add(a, b):\n    ');
    const uri = editor.document.uri.toString();
    const end = editor.document.lineAt(1).range.end;
    editor.selection = new vscode.Selection(end, end);
    const provided = new Promise<{ insertText: string; command: string | undefined }>(resolve => {
      const sub = api.completions.onDidProvide(event => {
        if (event.uri === uri && event.items.length > 0 && event.items[0].insertText.trim()) {
          sub.dispose();
          resolve(event.items[0]);
        }
      });
    });
    const acceptedBefore = (await status()).completion.accepted;
    // Ask for ghost text until the editor has asked the provider (it may ignore a trigger while it settles).
    let item: { insertText: string; command: string | undefined } | undefined;
    provided.then(i => { item = i; }, () => undefined);
    await waitFor('an inline completion with text', async () => {
      if (!item) {
        await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
      }
      return item;
    }, 60000);
    assert.strictEqual(item!.command, 'openagent.completion.accepted');
    const before = editor.document.getText();
    await waitFor('the suggestion inserted by Tab', async () => {
      await vscode.commands.executeCommand('editor.action.inlineSuggest.commit');
      return editor.document.getText() !== before;
    }, 30000);
    assert.ok(editor.document.getText().includes(item!.insertText.trimEnd().split('\n')[0]), 'the accepted text is in the document');
    await waitFor('the server counted the acceptance', async () => (await status()).completion.accepted > acceptedBefore, 15000);
  });

  it('lists code actions on a selection and applies the docstring edit', async function () {
    this.timeout(90000);
    const editor = await openFile('geo.py', GEO);
    const selection = new vscode.Range(4, 4, 4, 20);
    const actions = await within('code actions', vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider', editor.document.uri, selection), 30000);
    const titles = actions.map(a => a.title);
    for (const title of ['OpenAgent: Ask agent…', 'OpenAgent: Explain this code', 'OpenAgent: Add docstring']) {
      assert.ok(titles.includes(title), `${title} in ${JSON.stringify(titles)}`);
    }
    const ask = actions.find(a => a.title === 'OpenAgent: Ask agent…')!;
    assert.strictEqual(ask.command?.command, 'openagent.askPrompt', 'Ask agent… opens the input box command');
    const resolved = await within('resolving "Add docstring"', vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider', editor.document.uri, selection, vscode.CodeActionKind.RefactorRewrite.value, 10), 60000);
    const docstring = resolved.find(a => a.title === 'OpenAgent: Add docstring');
    assert.ok(docstring?.edit, 'the docstring action resolves to an edit');
    const edits = docstring.edit.get(editor.document.uri);
    assert.strictEqual(edits.length, 1);
    assert.strictEqual(edits[0].range.start.line, 3, 'the edit replaces the enclosing function');
    assert.ok(await vscode.workspace.applyEdit(docstring.edit), 'VS Code applied the edit');
    const text = editor.document.getText();
    assert.notStrictEqual(text, GEO);
    assert.ok(text.startsWith('import math\n'), 'text outside the function is untouched');
    assert.ok(text.trimEnd().endsWith('def unused():\n    pass'), 'the next function is untouched');
  });

  it('streams chat deltas into the webview in order', async function () {
    this.timeout(90000);
    await vscode.commands.executeCommand('openagent.chatView.focus');
    const outcome = await within('chat reply', api.chat.send('What does area do?'), 60000);
    assert.ok(outcome && outcome.ok, `chat failed: ${outcome?.error}`);
    const snapshot = await within('webview snapshot', api.chat.snapshot(), 10000);
    const reply = snapshot.replies[snapshot.replies.length - 1];
    assert.ok(reply.applied > 0, 'deltas reached the webview');
    assert.deepStrictEqual(reply.arrivals, Array.from({ length: reply.applied }, (_, i) => i + 1), 'deltas arrived in order 1..n');
    assert.ok(reply.text.includes(outcome.text.trim()), 'the deltas assemble to the final message');
    assert.strictEqual(snapshot.conversationId, outcome.conversationId);
    assert.strictEqual(snapshot.busy, false);
  });

  it('stop halts a streaming reply', async function () {
    this.timeout(90000);
    await vscode.workspace.getConfiguration('openagent').update('chat.maxNewTokens', 4000, vscode.ConfigurationTarget.Workspace);
    // Our settings listener runs when the extension host sees the new value; from then on the server has it.
    await waitFor('the new setting in the extension host',
      () => vscode.workspace.getConfiguration('openagent').get('chat.maxNewTokens') === 4000, 10000);
    const reply = api.chat.send('Tell me a long story');
    await waitFor('the first deltas in the webview', async () => {
      const s = await api.chat.snapshot();
      return s.busy && (s.replies[s.replies.length - 1]?.applied ?? 0) >= 2;
    }, 60000);
    assert.strictEqual(await api.chat.stop(), true, 'the server had a reply to cancel');
    const outcome = await within('the stopped reply', reply, 30000);
    assert.ok(outcome?.cancelled, 'the reply says it was cancelled');
    const after = (await api.chat.snapshot()).replies.at(-1)!.applied;
    await status(); // a round trip: any delta sent before this answer has been delivered by now
    const later = await api.chat.snapshot();
    assert.strictEqual(later.replies.at(-1)!.applied, after, 'nothing streamed after the stop');
    assert.ok(after < 4000);
    assert.strictEqual(later.busy, false);
    await vscode.workspace.getConfiguration('openagent').update('chat.maxNewTokens', 32, vscode.ConfigurationTarget.Workspace);
  });

  describe('approvals', function () {
    const marker = () => path.join(WORKSPACE, 'marker.txt');
    const command = `/run python3 -c "open('marker.txt', 'w').write('x')"`;
    let asked: ApprovalRecord[] = [];
    let sub: vscode.Disposable;

    beforeEach(() => {
      asked = [];
      sub = api.approvals.onDidAsk(r => asked.push(r));
    });
    afterEach(() => {
      sub.dispose();
      api.approvals.useDialog(undefined);
    });

    it('a dismissed dialog means no: the command does not run', async function () {
      this.timeout(60000);
      const shown: { title: string; detail: string; buttons: string[] }[] = [];
      api.approvals.useDialog(async (title, detail, buttons) => {
        shown.push({ title, detail, buttons });
        return undefined; // Escape
      });
      const outcome = await within('the /run reply', api.chat.send(command), 30000);
      assert.strictEqual(shown.length, 1, 'the dialog was shown once');
      assert.match(shown[0].title, /wants to run this command/);
      assert.ok(shown[0].detail.includes(`python3 -c "open('marker.txt', 'w').write('x')"`), shown[0].detail);
      assert.match(shown[0].detail, /Risk: [A-Z]+/);
      assert.deepStrictEqual(shown[0].buttons.slice(0, 1), ['Run once']);
      assert.strictEqual(outcome?.ok, false);
      assert.strictEqual(fs.existsSync(marker()), false, 'the command did not run');
    });

    it('"Deny" means no, and "Run once" runs it', async function () {
      this.timeout(60000);
      api.approvals.useDialog(async () => 'Deny');
      await within('the denied /run', api.chat.send(command), 30000);
      assert.strictEqual(fs.existsSync(marker()), false, 'denied: the command did not run');
      api.approvals.useDialog(async () => 'Run once');
      const outcome = await within('the approved /run', api.chat.send(command), 30000);
      assert.strictEqual(outcome?.ok, true, outcome?.error);
      assert.strictEqual(fs.existsSync(marker()), true, 'approved: the command ran');
      fs.rmSync(marker());
      assert.deepStrictEqual(asked.map(a => a.answer), ['Deny', 'Run once']);
    });

    it('the real modal dialog, dismissed, means no', async function () {
      this.timeout(60000);
      // VS Code skips dialogs while extension tests run and answers them as cancelled, which is
      // what Escape or closing the dialog gives: the real dialog code path, dismissed.
      const outcome = await within('the /run reply', api.chat.send(command), 45000);
      assert.strictEqual(asked.length, 1);
      assert.ok(asked[0].answer === undefined || asked[0].answer === 'Deny', `answer: ${asked[0].answer}`);
      assert.strictEqual(outcome?.ok, false);
      assert.strictEqual(fs.existsSync(marker()), false, 'the command did not run');
    });
  });

  it('restarts a crashed server and gets ready again', async function () {
    this.timeout(120000);
    const first = api.client()!;
    const pid = (first as unknown as { _serverProcess?: { pid?: number } })._serverProcess?.pid;
    assert.ok(pid, 'the server process id is known');
    process.kill(pid, 'SIGKILL');
    await waitFor('a new client', () => api.client() && api.client() !== first, 60000);
    await waitFor('status "ready" again', () => api.status.current().word === 'ready', 60000);
    assert.strictEqual((await status()).model.state, 'ready');
  });

  it('OpenAgent: Restart server restarts it on demand', async function () {
    this.timeout(120000);
    const first = api.client();
    await within('restart', vscode.commands.executeCommand('openagent.restartServer'), 60000);
    await waitFor('a new client', () => api.client() && api.client() !== first, 60000);
    await waitFor('status "ready" again', () => api.status.current().word === 'ready', 60000);
  });
});
