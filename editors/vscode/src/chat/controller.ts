// The chat's behaviour, independent of VS Code: sending messages (and slash commands) to the server,
// following the streamed reply, stopping it, and switching conversations.

import { ChatDelta, DeltaAssembler } from './deltas';
import { ConversationSummary, FromWebview, ToWebview, TranscriptEntry } from './protocol';
import { slashCommandOf } from './slash';
import * as methods from '../methods';

export interface ChatServer {
  executeCommand(command: string, args: unknown[]): Promise<unknown>;
}

export interface ChatView {
  post(message: ToWebview): void;
  reveal(): void;
}

export interface EditorContext {
  uri: string;
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  label: string;
}

export interface ChatUi {
  pickConversation(conversations: ConversationSummary[]): Promise<string | undefined>;
  copy(text: string): Promise<void>;
  insert(code: string): Promise<void>;
  /** The editor selection, for slash commands that need one and no context was added. */
  currentSelection(): EditorContext | undefined;
  setBusy(busy: boolean): void;
}

interface ChatReply {
  conversationId?: string;
  text?: string;
  ok?: boolean;
  error?: string;
  cancelled?: boolean;
}

export interface ChatOutcome {
  conversationId: string;
  text: string;
  ok: boolean;
  cancelled: boolean;
  error: string;
}

export class ChatController {
  private conversationId: string | undefined;
  private context: EditorContext | undefined;
  private running: { conversationId: string | undefined; assembler: DeltaAssembler } | undefined;
  private readonly listeners = new Set<(outcome: ChatOutcome) => void>();

  constructor(
    private readonly server: () => ChatServer | undefined,
    private readonly view: ChatView,
    private readonly ui: ChatUi,
    private readonly newId: () => string,
  ) {}

  get busy(): boolean {
    return this.running !== undefined;
  }

  get currentConversation(): string | undefined {
    return this.conversationId;
  }

  onDidFinish(listener: (outcome: ChatOutcome) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  async handle(message: FromWebview): Promise<void> {
    switch (message.type) {
      case 'send': await this.send(message.text); break;
      case 'stop': await this.stop(); break;
      case 'copy': await this.ui.copy(message.code); break;
      case 'insert': await this.ui.insert(message.code); break;
      case 'newChat': this.newChat(); break;
      case 'history': await this.showHistory(); break;
      case 'open': await this.open(message.conversationId); break;
      case 'clearContext': this.setContext(undefined); break;
      default: break;
    }
  }

  setContext(context: EditorContext | undefined): void {
    this.context = context;
    this.view.post({ type: 'context', label: context?.label });
  }

  newChat(): void {
    this.conversationId = undefined;
    this.view.post({ type: 'reset', conversationId: undefined, entries: [] });
  }

  /** A message typed in the chat box. */
  async send(text: string): Promise<ChatOutcome | undefined> {
    const message = text.trim();
    if (!message) {
      return undefined;
    }
    const slash = slashCommandOf(message);
    if (slash?.name === '/clear') {
      this.newChat();
      return undefined;
    }
    if (slash?.name === '/history') {
      await this.showHistory();
      return undefined;
    }
    const context = this.context ?? (slash?.needsSelection ? this.ui.currentSelection() : undefined);
    this.conversationId ??= this.newId();
    const args: Record<string, unknown> = { message, conversationId: this.conversationId };
    if (context) {
      args.uri = context.uri;
      args.range = context.range;
    }
    this.view.post({ type: 'user', text: message, context: context?.label });
    this.setContext(undefined);
    return this.run(methods.CMD_CHAT, args, this.conversationId);
  }

  /**
   * A server command that streams into the chat (explain, ask, commit message), started from a code
   * action or an editor command. It gets a conversation of its own, shown in the view.
   */
  async runCommand(command: string, args: Record<string, unknown> | undefined, label: string): Promise<ChatOutcome | undefined> {
    this.view.reveal();
    const acceptsId = command !== methods.CMD_COMMIT_MESSAGE;
    this.conversationId = acceptsId ? this.newId() : undefined;
    this.view.post({ type: 'reset', conversationId: this.conversationId, entries: [] });
    this.view.post({ type: 'user', text: label });
    const fullArgs = acceptsId ? { ...(args ?? {}), conversationId: this.conversationId } : args;
    return this.run(command, fullArgs === undefined ? [] : [fullArgs], this.conversationId);
  }

  async stop(): Promise<boolean> {
    const server = this.server();
    const id = this.running?.conversationId;
    if (!server || !id) {
      return false;
    }
    const reply = (await server.executeCommand(methods.CMD_CHAT_CANCEL, [{ conversationId: id }])) as { cancelled?: boolean };
    return reply?.cancelled === true;
  }

  /** A delta notification from the server. */
  onDelta(delta: ChatDelta): void {
    const running = this.running;
    if (!running) {
      return;
    }
    if (running.conversationId === undefined) {
      running.conversationId = delta.conversationId; // a command whose id the server chose
      this.conversationId = delta.conversationId;
    }
    if (delta.conversationId !== running.conversationId) {
      return;
    }
    running.assembler.push(delta.seq, delta.text);
    this.view.post({ type: 'delta', conversationId: delta.conversationId, seq: delta.seq, text: delta.text });
  }

  async showHistory(): Promise<void> {
    const server = this.server();
    if (!server) {
      return;
    }
    const list = ((await server.executeCommand(methods.CMD_CHAT_LIST, [])) ?? []) as ConversationSummary[];
    this.view.post({ type: 'history', conversations: list });
    const picked = await this.ui.pickConversation(list);
    if (picked) {
      await this.open(picked);
    }
  }

  async open(conversationId: string): Promise<void> {
    const server = this.server();
    if (!server) {
      return;
    }
    const history = ((await server.executeCommand(methods.CMD_CHAT_HISTORY, [{ conversationId }])) ?? []) as
      { role: string; content: string }[];
    this.conversationId = conversationId;
    const entries: TranscriptEntry[] = history.map(m => ({ role: m.role === 'user' ? 'user' : 'assistant', text: m.content }));
    this.view.post({ type: 'reset', conversationId, entries });
  }

  private async run(command: string, args: unknown, conversationId: string | undefined): Promise<ChatOutcome | undefined> {
    const server = this.server();
    if (!server) {
      this.view.post({ type: 'done', conversationId: conversationId ?? '', ok: false, cancelled: false, error: 'The OpenAgent server is not running.', text: '' });
      return undefined;
    }
    if (this.running) {
      await this.stop(); // one reply at a time: a new message supersedes the running one
    }
    const running = { conversationId, assembler: new DeltaAssembler() };
    this.running = running;
    this.setBusy(true);
    let outcome: ChatOutcome;
    try {
      const reply = ((await server.executeCommand(command, Array.isArray(args) ? args : [args])) ?? {}) as ChatReply;
      outcome = {
        conversationId: reply.conversationId ?? running.conversationId ?? '',
        text: reply.text ?? running.assembler.text,
        ok: reply.ok !== false,
        cancelled: reply.cancelled === true,
        error: reply.error ?? '',
      };
    } catch (err) {
      outcome = { conversationId: running.conversationId ?? '', text: '', ok: false, cancelled: false, error: errorMessage(err) };
    } finally {
      if (this.running === running) {
        this.running = undefined;
        this.setBusy(false);
      }
    }
    this.conversationId ??= outcome.conversationId || undefined;
    this.view.post({ type: 'done', ...outcome });
    this.listeners.forEach(l => l(outcome));
    return outcome;
  }

  private setBusy(busy: boolean): void {
    this.view.post({ type: 'busy', busy });
    this.ui.setBusy(busy);
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
