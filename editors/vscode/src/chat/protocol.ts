// Messages between the extension and the chat webview (both directions), in one place.

export interface TranscriptEntry {
  role: 'user' | 'assistant' | 'error' | 'info';
  text: string;
}

export interface ConversationSummary {
  conversationId: string;
  title: string;
  updatedAt?: string | number;
  messages?: number;
}

export type ToWebview =
  | { type: 'reset'; conversationId: string | undefined; entries: TranscriptEntry[] }
  | { type: 'user'; text: string; context?: string }
  | { type: 'delta'; conversationId: string; seq: number; text: string }
  | { type: 'done'; conversationId: string; ok: boolean; cancelled: boolean; error: string; text: string }
  | { type: 'busy'; busy: boolean }
  | { type: 'context'; label: string | undefined }
  | { type: 'history'; conversations: ConversationSummary[] }
  | { type: 'snapshot'; requestId: number };

export type FromWebview =
  | { type: 'ready' }
  | { type: 'send'; text: string }
  | { type: 'stop' }
  | { type: 'copy'; code: string }
  | { type: 'insert'; code: string }
  | { type: 'newChat' }
  | { type: 'history' }
  | { type: 'open'; conversationId: string }
  | { type: 'clearContext' }
  | { type: 'snapshot'; requestId: number; snapshot: WebviewSnapshot };

/** What the webview shows, reported on request: lets tests check the rendered transcript. */
export interface WebviewSnapshot {
  conversationId: string | undefined;
  /** Per assistant reply: deltas applied in sequence, their seq numbers in arrival order, and the text. */
  replies: { applied: number; arrivals: number[]; text: string }[];
  /** Visible text of the transcript, as rendered from markdown. */
  renderedText: string;
  codeBlocks: number;
  busy: boolean;
}
