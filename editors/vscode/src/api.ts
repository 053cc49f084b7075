// What the extension returns from activate(): for other extensions and for the integration tests,
// which drive the real extension through it instead of reaching into its modules.

import type * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { ApprovalDialog, ApprovalRecord } from './approvals/handler';
import type { ChatOutcome } from './chat/controller';
import type { WebviewSnapshot } from './chat/protocol';
import type { StatusView } from './status/model';

export interface InlineCompletionEvent {
  uri: string;
  items: { insertText: string; command: string | undefined }[];
}

export interface OpenAgentApi {
  client(): LanguageClient | undefined;
  status: { current(): StatusView; onDidChange: vscode.Event<StatusView> };
  completions: { onDidProvide: vscode.Event<InlineCompletionEvent> };
  chat: {
    send(text: string): Promise<ChatOutcome | undefined>;
    stop(): Promise<boolean>;
    snapshot(): Promise<WebviewSnapshot>;
    onDidFinish(listener: (outcome: ChatOutcome) => void): { dispose(): void };
  };
  approvals: {
    /** Replaces the modal dialog (undefined restores it): lets a test answer as a user would. */
    useDialog(dialog: ApprovalDialog | undefined): void;
    onDidAsk: vscode.Event<ApprovalRecord>;
  };
}
