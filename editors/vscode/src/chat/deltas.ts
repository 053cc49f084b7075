// Puts streamed chat deltas back in order. Notifications arrive in order over stdio, but a delta is
// numbered (seq from 1), so a reply is assembled by number, never by arrival, and a duplicate is dropped.

export interface ChatDelta {
  conversationId: string;
  seq: number;
  text: string;
}

export function isChatDelta(value: unknown): value is ChatDelta {
  const v = value as ChatDelta;
  return !!v && typeof v.conversationId === 'string' && Number.isInteger(v.seq) && typeof v.text === 'string';
}

export class DeltaAssembler {
  private next = 1;
  private pending = new Map<number, string>();
  private parts: string[] = [];

  /** Accepts one delta; returns the text that became contiguous (possibly empty). */
  push(seq: number, text: string): string {
    if (seq < this.next || this.pending.has(seq)) {
      return '';
    }
    this.pending.set(seq, text);
    let released = '';
    while (this.pending.has(this.next)) {
      const part = this.pending.get(this.next)!;
      this.pending.delete(this.next);
      this.parts.push(part);
      released += part;
      this.next += 1;
    }
    return released;
  }

  get text(): string {
    return this.parts.join('');
  }

  /** The sequence numbers applied so far, in order: 1..n. */
  get applied(): number {
    return this.next - 1;
  }
}
