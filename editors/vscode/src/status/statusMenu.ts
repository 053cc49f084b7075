// The quick pick behind the status bar item.

import * as vscode from 'vscode';

export interface StatusMenuActions {
  showLogs(): void;
  restart(): Promise<void>;
  toggleGlobal(): Promise<void>;
  toggleLanguage(languageId: string): Promise<void>;
  showDetails(): Promise<void>;
  completionsOn(): boolean;
  languageOn(languageId: string): boolean;
}

export async function showStatusMenu(actions: StatusMenuActions, summary: string): Promise<void> {
  const languageId = vscode.window.activeTextEditor?.document.languageId;
  type Item = vscode.QuickPickItem & { run: () => unknown };
  const items: Item[] = [
    { label: '$(output) Show logs', run: () => actions.showLogs() },
    { label: '$(debug-restart) Restart server', run: () => actions.restart() },
    {
      label: actions.completionsOn() ? '$(circle-slash) Disable inline completions' : '$(sparkle) Enable inline completions',
      description: 'everywhere', run: () => actions.toggleGlobal(),
    },
  ];
  if (languageId) {
    items.push({
      label: actions.languageOn(languageId) ? `$(circle-slash) Disable inline completions for ${languageId}` : `$(sparkle) Enable inline completions for ${languageId}`,
      run: () => actions.toggleLanguage(languageId),
    });
  }
  items.push({ label: '$(info) Server status details', description: 'openagent/status', run: () => actions.showDetails() });
  const picked = await vscode.window.showQuickPick(items, { title: `OpenAgent — ${summary}` });
  await picked?.run();
}
