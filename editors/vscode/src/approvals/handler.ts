// Answers window/showMessageRequest. An approval becomes a modal dialog that shows the exact command,
// its risk and reason; closing it or pressing Escape answers "no" (null or the refusing action).
// Any other request is shown as an ordinary notification, as VS Code would.

import { dialogText, isRefusal, MessageAction, parseApproval, ApprovalPrompt } from './message';

export interface ShowMessageRequest {
  type: number; // 1 error, 2 warning, 3 info, 4 log
  message: string;
  actions?: MessageAction[];
}

export interface ApprovalDialog {
  /** Shows a modal dialog; resolves to the chosen button title, or undefined when it was dismissed. */
  (title: string, detail: string, buttons: string[], closeButton: string | undefined): Thenable<string | undefined>;
}

export interface NotificationPrompt {
  (type: number, message: string, buttons: string[]): Thenable<string | undefined>;
}

export interface ApprovalRecord {
  prompt: ApprovalPrompt;
  answer: string | undefined;
}

export async function answerShowMessageRequest(
  params: ShowMessageRequest,
  dialog: ApprovalDialog,
  notify: NotificationPrompt,
  record?: (r: ApprovalRecord) => void,
): Promise<MessageAction | null> {
  const actions = params.actions ?? [];
  const approval = parseApproval(params.message, actions);
  if (!approval) {
    const chosen = await notify(params.type, params.message, actions.map(a => a.title));
    return actions.find(a => a.title === chosen) ?? null;
  }
  const { title, detail } = dialogText(approval);
  const close = actions.find(a => isRefusal(a.title))?.title;
  let chosen: string | undefined;
  try {
    chosen = await dialog(title, detail, actions.map(a => a.title), close);
  } catch {
    chosen = undefined; // a dialog that fails is a "no"
  }
  record?.({ prompt: approval, answer: chosen });
  return actions.find(a => a.title === chosen) ?? null;
}
