// The chat webview view: HTML with a strict Content-Security-Policy (no remote resources, one nonce'd
// bundled script), and the message channel to the ChatController.

import * as crypto from 'crypto';
import * as vscode from 'vscode';
import { ChatView } from './controller';
import { FromWebview, ToWebview, WebviewSnapshot } from './protocol';

export const CHAT_VIEW_ID = 'openagent.chatView';

export class ChatViewProvider implements vscode.WebviewViewProvider, ChatView {
  private view: vscode.WebviewView | undefined;
  private ready = false;
  private queued: ToWebview[] = [];
  private snapshotRequests = new Map<number, (s: WebviewSnapshot) => void>();
  private nextSnapshot = 1;

  constructor(private readonly extensionUri: vscode.Uri, private readonly onMessage: (m: FromWebview) => void) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.ready = false;
    const media = vscode.Uri.joinPath(this.extensionUri, 'dist');
    view.webview.options = { enableScripts: true, localResourceRoots: [media] };
    view.webview.html = chatHtml(view.webview, media);
    view.webview.onDidReceiveMessage((message: FromWebview) => {
      if (message.type === 'ready') {
        this.ready = true;
        const queued = this.queued;
        this.queued = [];
        queued.forEach(m => void view.webview.postMessage(m));
      } else if (message.type === 'snapshot') {
        this.snapshotRequests.get(message.requestId)?.(message.snapshot);
        this.snapshotRequests.delete(message.requestId);
      }
      this.onMessage(message);
    });
    view.onDidDispose(() => {
      this.view = undefined;
      this.ready = false;
    });
  }

  /** Messages sent before the webview is ready are kept and delivered in order once it is. */
  post(message: ToWebview): void {
    if (this.view && this.ready) {
      void this.view.webview.postMessage(message);
    } else {
      this.queued.push(message);
    }
  }

  reveal(): void {
    if (this.view) {
      this.view.show(true);
    } else {
      void vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
    }
  }

  /** What the webview currently shows (asked over the same channel as everything else). */
  snapshot(): Promise<WebviewSnapshot> {
    const requestId = this.nextSnapshot++;
    return new Promise(resolve => {
      this.snapshotRequests.set(requestId, resolve);
      this.post({ type: 'snapshot', requestId });
    });
  }
}

function chatHtml(webview: vscode.Webview, media: vscode.Uri): string {
  const nonce = crypto.randomBytes(16).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(media, 'webview.js'));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(media, 'webview.css'));
  const csp = [
    "default-src 'none'",
    `style-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
    `img-src ${webview.cspSource} data:`,
    `font-src ${webview.cspSource}`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}">
<title>OpenAgent chat</title>
</head>
<body>
<div id="context" hidden><span id="context-label"></span><button id="context-clear" title="Remove">×</button></div>
<main id="transcript" aria-live="polite"></main>
<div id="suggestions" role="listbox" hidden></div>
<form id="composer">
  <textarea id="input" rows="3" placeholder="Ask OpenAgent… (/ for commands, Enter to send, Shift+Enter for a new line)"></textarea>
  <div class="buttons">
    <button id="stop" type="button" hidden>Stop</button>
    <button id="send" type="submit">Send</button>
  </div>
</form>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}
