// The status bar item: renders StatusState, and its click opens a quick pick of what helps when
// something is wrong (logs, restart, toggling completions, the server's own status report).

import * as vscode from 'vscode';
import { INITIAL_STATUS, ModelInfo, renderStatus, StatusState, StatusView, ClientPhase } from './model';

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private state: StatusState = { ...INITIAL_STATUS };
  private readonly changed = new vscode.EventEmitter<StatusView>();
  readonly onDidChange = this.changed.event;

  constructor(command: string) {
    this.item = vscode.window.createStatusBarItem('openagent.status', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'OpenAgent';
    this.item.command = command;
    this.render();
    this.item.show();
  }

  get view(): StatusView {
    return renderStatus(this.state);
  }

  setPhase(phase: ClientPhase, problem?: string): void {
    this.state = { ...this.state, phase, problem, model: phase === 'running' ? this.state.model : {} };
    this.render();
  }

  setModel(model: ModelInfo): void {
    this.state = { ...this.state, model: { ...this.state.model, ...model } };
    this.render();
  }

  setCompletionsOn(on: boolean): void {
    this.state = { ...this.state, completionsOn: on };
    this.render();
  }

  private render(): void {
    const view = renderStatus(this.state);
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor = view.kind === 'error'
      ? new vscode.ThemeColor('statusBarItem.errorBackground')
      : view.kind === 'warning' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.changed.fire(view);
  }

  dispose(): void {
    this.item.dispose();
    this.changed.dispose();
  }
}
