import * as assert from 'assert';
import { ChatController, ChatServer, ChatUi, EditorContext } from '../../src/chat/controller';
import { ToWebview } from '../../src/chat/protocol';

/** A server whose replies the test releases, recording every command it receives. */
class FakeServer implements ChatServer {
  calls: { command: string; args: unknown[] }[] = [];
  private pending: ((reply: unknown) => void)[] = [];
  replies: Record<string, unknown> = {};

  executeCommand(command: string, args: unknown[]): Promise<unknown> {
    this.calls.push({ command, args });
    if (command in this.replies) {
      return Promise.resolve(this.replies[command]);
    }
    return new Promise(resolve => this.pending.push(resolve));
  }

  release(reply: unknown): void {
    this.pending.shift()!(reply);
  }
}

const selection: EditorContext = { uri: 'file:///a.py', range: { start: { line: 1, character: 0 }, end: { line: 2, character: 0 } }, label: 'a.py:2-3' };

function setup(server: FakeServer | null = new FakeServer()) {
  const posted: ToWebview[] = [];
  const busy: boolean[] = [];
  const ui: ChatUi = {
    pickConversation: async list => list[0]?.conversationId,
    copy: async () => undefined,
    insert: async () => undefined,
    currentSelection: () => selection,
    setBusy: b => busy.push(b),
  };
  let n = 0;
  const chat = new ChatController(() => server ?? undefined, { post: m => posted.push(m), reveal: () => undefined }, ui, () => `id-${++n}`);
  return { chat, server: server!, posted, busy };
}

const flush = () => new Promise(resolve => setImmediate(resolve));

describe('chat controller', () => {
  it('sends a message with a client-chosen conversation id and forwards its deltas', async () => {
    const { chat, server, posted, busy } = setup();
    const reply = chat.send('hello');
    await flush();
    assert.deepStrictEqual(server.calls[0], { command: 'openagent.chat', args: [{ message: 'hello', conversationId: 'id-1' }] });
    chat.onDelta({ conversationId: 'id-1', seq: 1, text: 'Hi' });
    chat.onDelta({ conversationId: 'other', seq: 1, text: 'not ours' });
    server.release({ conversationId: 'id-1', text: 'Hi', ok: true });
    const outcome = await reply;
    assert.deepStrictEqual(outcome, { conversationId: 'id-1', text: 'Hi', ok: true, cancelled: false, error: '' });
    const deltas = posted.filter(m => m.type === 'delta');
    assert.deepStrictEqual(deltas, [{ type: 'delta', conversationId: 'id-1', seq: 1, text: 'Hi' }]);
    assert.deepStrictEqual(busy, [true, false]);
    chat.send('again');
    await flush();
    assert.strictEqual((server.calls[1].args[0] as { conversationId: string }).conversationId, 'id-1', 'same conversation');
  });

  it('stop cancels the running conversation on the server', async () => {
    const { chat, server } = setup();
    server.replies['openagent.chat.cancel'] = { cancelled: true };
    const reply = chat.send('long story');
    await flush();
    assert.strictEqual(await chat.stop(), true);
    assert.deepStrictEqual(server.calls[1], { command: 'openagent.chat.cancel', args: [{ conversationId: 'id-1' }] });
    server.release({ conversationId: 'id-1', text: 'Once', ok: true, cancelled: true });
    assert.strictEqual((await reply)!.cancelled, true);
    assert.strictEqual(await chat.stop(), false, 'nothing left to stop');
  });

  it('slash commands that need a selection take the editor selection; added context is sent once', async () => {
    const { chat, server } = setup();
    server.replies['openagent.chat'] = { ok: true, text: '' };
    await chat.send('/explain');
    assert.strictEqual((server.calls[0].args[0] as { uri?: string }).uri, 'file:///a.py');
    chat.setContext({ ...selection, uri: 'file:///b.py' });
    await chat.send('what is this?');
    await chat.send('and now?');
    assert.strictEqual((server.calls[1].args[0] as { uri?: string }).uri, 'file:///b.py');
    assert.strictEqual((server.calls[2].args[0] as { uri?: string }).uri, undefined);
  });

  it('/clear starts a new conversation without asking the server', async () => {
    const { chat, server, posted } = setup();
    server.replies['openagent.chat'] = { ok: true, text: '' };
    await chat.send('hi');
    await chat.send('/clear');
    assert.strictEqual(server.calls.length, 1);
    assert.strictEqual(chat.currentConversation, undefined);
    assert.deepStrictEqual(posted.at(-1), { type: 'reset', conversationId: undefined, entries: [] });
  });

  it('a command whose conversation id the server chooses adopts it from the first delta', async () => {
    const { chat, server, posted } = setup();
    const reply = chat.runCommand('openagent.commitMessage', undefined, 'Commit message');
    await flush();
    assert.deepStrictEqual(server.calls[0].args, []);
    chat.onDelta({ conversationId: 'srv-7', seq: 1, text: 'Fix' });
    server.release({ conversationId: 'srv-7', text: 'Fix', ok: true });
    await reply;
    assert.strictEqual(chat.currentConversation, 'srv-7');
    assert.ok(posted.some(m => m.type === 'delta' && m.conversationId === 'srv-7'));
  });

  it('history opens the picked conversation', async () => {
    const { chat, server, posted } = setup();
    server.replies['openagent.chat.list'] = [{ conversationId: 'c1', title: 'First' }];
    server.replies['openagent.chat.history'] = [{ role: 'user', content: 'q' }, { role: 'assistant', content: 'a' }];
    await chat.showHistory();
    assert.deepStrictEqual(server.calls.map(c => c.command), ['openagent.chat.list', 'openagent.chat.history']);
    assert.deepStrictEqual(posted.at(-1), {
      type: 'reset', conversationId: 'c1', entries: [{ role: 'user', text: 'q' }, { role: 'assistant', text: 'a' }],
    });
  });

  it('says so when the server is not running', async () => {
    const { chat, posted } = setup(null);
    assert.strictEqual(await chat.send('hi'), undefined);
    assert.match(JSON.stringify(posted.at(-1)), /not running/);
  });

  it('a failed request ends the reply with its error', async () => {
    const server = new FakeServer();
    server.executeCommand = async () => { throw new Error('model failed to load'); };
    const { chat } = setup(server);
    const outcome = await chat.send('hi');
    assert.deepStrictEqual(outcome, { conversationId: 'id-1', text: '', ok: false, cancelled: false, error: 'model failed to load' });
  });
});
