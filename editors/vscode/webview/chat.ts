// The chat webview: renders the transcript as markdown (markdown-it, raw HTML disabled), streams
// deltas in sequence order, and offers copy/insert on code blocks. Runs in the browser sandbox.

import MarkdownIt from 'markdown-it';
import { DeltaAssembler } from '../src/chat/deltas';
import { FromWebview, ToWebview, TranscriptEntry, WebviewSnapshot } from '../src/chat/protocol';
import { slashSuggestions } from '../src/chat/slash';

declare function acquireVsCodeApi(): { postMessage(message: FromWebview): void };

const vscode = acquireVsCodeApi();
const md = new MarkdownIt({ html: false, linkify: true, breaks: false });
const transcript = document.getElementById('transcript')!;
const input = document.getElementById('input') as HTMLTextAreaElement;
const composer = document.getElementById('composer') as HTMLFormElement;
const stopButton = document.getElementById('stop') as HTMLButtonElement;
const sendButton = document.getElementById('send') as HTMLButtonElement;
const suggestions = document.getElementById('suggestions')!;
const contextBar = document.getElementById('context')!;
const contextLabel = document.getElementById('context-label')!;

interface Reply { element: HTMLElement; assembler: DeltaAssembler; arrivals: number[]; conversationId: string | undefined }
let conversationId: string | undefined;
let replies: Reply[] = [];
let current: Reply | undefined;
let busy = false;
let renderQueued = false;

function post(message: FromWebview): void {
  vscode.postMessage(message);
}

function addEntry(entry: TranscriptEntry): HTMLElement {
  const element = document.createElement('section');
  element.className = `entry ${entry.role}`;
  element.setAttribute('aria-label', entry.role);
  if (entry.role === 'assistant') {
    renderMarkdown(element, entry.text);
  } else {
    element.textContent = entry.text;
  }
  transcript.appendChild(element);
  element.scrollIntoView({ block: 'end' });
  return element;
}

function renderMarkdown(element: HTMLElement, text: string): void {
  element.innerHTML = md.render(text);
  element.querySelectorAll('pre').forEach(pre => {
    const code = pre.textContent ?? '';
    const bar = document.createElement('div');
    bar.className = 'code-actions';
    for (const [label, type] of [['Copy', 'copy'], ['Insert', 'insert']] as const) {
      const button = document.createElement('button');
      button.textContent = label;
      button.title = type === 'copy' ? 'Copy to the clipboard' : 'Insert at the cursor in the editor';
      button.addEventListener('click', () => post({ type, code }));
      bar.appendChild(button);
    }
    pre.before(bar);
  });
}

function startReply(): Reply {
  const reply: Reply = { element: addEntry({ role: 'assistant', text: '' }), assembler: new DeltaAssembler(), arrivals: [], conversationId };
  reply.element.classList.add('streaming');
  replies.push(reply);
  current = reply;
  return reply;
}

/** Re-render the streaming reply at most once per frame: markdown of a growing text is re-parsed whole. */
function scheduleRender(reply: Reply): void {
  if (renderQueued) {
    return;
  }
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    renderMarkdown(reply.element, reply.assembler.text);
    reply.element.scrollIntoView({ block: 'end' });
  });
}

function setBusy(value: boolean): void {
  busy = value;
  stopButton.hidden = !value;
  sendButton.disabled = value;
}

function snapshot(): WebviewSnapshot {
  return {
    conversationId,
    replies: replies.map(r => ({ applied: r.assembler.applied, arrivals: [...r.arrivals], text: r.assembler.text })),
    renderedText: transcript.innerText,
    codeBlocks: transcript.querySelectorAll('pre').length,
    busy,
  };
}

window.addEventListener('message', (event: MessageEvent<ToWebview>) => {
  const message = event.data;
  switch (message.type) {
    case 'reset':
      transcript.textContent = '';
      replies = [];
      current = undefined;
      conversationId = message.conversationId;
      message.entries.forEach(e => {
        const element = addEntry(e);
        if (e.role === 'assistant') {
          const assembler = new DeltaAssembler();
          assembler.push(1, e.text);
          replies.push({ element, assembler, arrivals: [], conversationId });
        }
      });
      break;
    case 'user':
      addEntry({ role: 'user', text: message.context ? `${message.text}\n— ${message.context}` : message.text });
      startReply();
      break;
    case 'delta': {
      conversationId ??= message.conversationId;
      const reply = current ?? startReply();
      reply.conversationId ??= message.conversationId;
      reply.arrivals.push(message.seq);
      if (reply.assembler.push(message.seq, message.text)) {
        scheduleRender(reply);
      }
      break;
    }
    case 'done': {
      const reply = current ?? startReply();
      conversationId = message.conversationId || conversationId;
      reply.element.classList.remove('streaming');
      // The final message is authoritative (it may be trimmed or carry the tool's output).
      const text = message.text || reply.assembler.text;
      renderMarkdown(reply.element, text);
      if (message.cancelled) {
        addEntry({ role: 'info', text: 'Stopped.' });
      } else if (!message.ok && message.error && !text.includes(message.error)) {
        addEntry({ role: 'error', text: message.error });
      }
      current = undefined;
      break;
    }
    case 'busy':
      setBusy(message.busy);
      break;
    case 'context':
      contextBar.hidden = !message.label;
      contextLabel.textContent = message.label ? `Context: ${message.label}` : '';
      break;
    case 'history':
      break; // the extension shows a quick pick; nothing to draw here
    case 'snapshot':
      post({ type: 'snapshot', requestId: message.requestId, snapshot: snapshot() });
      break;
  }
});

function send(): void {
  const text = input.value.trim();
  if (!text || busy) {
    return;
  }
  post({ type: 'send', text });
  input.value = '';
  suggestions.hidden = true;
}

composer.addEventListener('submit', event => {
  event.preventDefault();
  send();
});
input.addEventListener('keydown', event => {
  if (event.key === 'Enter' && !event.shiftKey) {
    event.preventDefault();
    send();
  }
});
input.addEventListener('input', () => {
  const matches = slashSuggestions(input.value);
  suggestions.hidden = matches.length === 0;
  suggestions.textContent = '';
  for (const command of matches) {
    const option = document.createElement('div');
    option.className = 'suggestion';
    option.setAttribute('role', 'option');
    option.textContent = `${command.name} — ${command.description}`;
    option.addEventListener('click', () => {
      input.value = `${command.name} `;
      suggestions.hidden = true;
      input.focus();
    });
    suggestions.appendChild(option);
  }
});
stopButton.addEventListener('click', () => post({ type: 'stop' }));
document.getElementById('context-clear')!.addEventListener('click', () => post({ type: 'clearContext' }));
post({ type: 'ready' });
