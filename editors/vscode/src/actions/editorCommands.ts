// Editor commands that hand a selection to the agent: ask (input box, then openagent.ask), explain,
// and the editing actions (docstring, tests, fix) which the server applies through workspace/applyEdit.

import * as vscode from 'vscode';
import * as methods from '../methods';

export interface LspRange {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

export function toLspRange(range: vscode.Range): LspRange {
  return {
    start: { line: range.start.line, character: range.start.character },
    end: { line: range.end.line, character: range.end.character },
  };
}

export interface Target {
  uri: string;
  range: LspRange;
  diagnostics: string[];
  label: string;
}

/** The active editor's selection (or the cursor line), with the problems VS Code shows inside it. */
export function selectionTarget(editor: vscode.TextEditor | undefined): Target | undefined {
  if (!editor) {
    return undefined;
  }
  const selection = editor.selection;
  const range = selection.isEmpty ? editor.document.lineAt(selection.active.line).range : selection;
  const diagnostics = vscode.languages.getDiagnostics(editor.document.uri)
    .filter(d => d.range.intersection(range) !== undefined)
    .map(d => d.message);
  const name = vscode.workspace.asRelativePath(editor.document.uri);
  const lines = range.start.line === range.end.line ? `${range.start.line + 1}` : `${range.start.line + 1}-${range.end.line + 1}`;
  return { uri: editor.document.uri.toString(), range: toLspRange(range), diagnostics, label: `${name}:${lines}` };
}

/** Arguments of a code action's command ({uri, range}), or the active selection when run from the palette. */
export function targetFromArgs(arg: unknown, editor: vscode.TextEditor | undefined): Target | undefined {
  const a = arg as { uri?: unknown; range?: LspRange } | undefined;
  if (a && typeof a.uri === 'string' && a.range) {
    return { uri: a.uri, range: a.range, diagnostics: [], label: `${vscode.workspace.asRelativePath(vscode.Uri.parse(a.uri))}:${a.range.start.line + 1}` };
  }
  return selectionTarget(editor);
}

export type EditAction = 'docstring' | 'tests' | 'fix' | 'refactor';

const EDIT_TITLES: Record<EditAction, string> = {
  docstring: 'Adding a docstring',
  tests: 'Writing tests',
  fix: 'Fixing',
  refactor: 'Simplifying',
};

export type ExecuteCommand = (command: string, args: unknown[]) => Promise<unknown>;

/** Runs an editing action on the server; the edit comes back as workspace/applyEdit (previewed when large). */
export async function runEditAction(action: EditAction, target: Target, execute: ExecuteCommand): Promise<boolean> {
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `OpenAgent: ${EDIT_TITLES[action]}…` },
    () => execute(methods.CMD_APPLY_ACTION, [{ action, uri: target.uri, range: target.range, diagnostics: target.diagnostics }]),
  ) as { applied?: boolean } | undefined;
  return result?.applied === true;
}

export async function askForQuestion(): Promise<string | undefined> {
  const question = await vscode.window.showInputBox({
    title: 'Ask OpenAgent',
    prompt: 'A question about the selected code',
    placeHolder: 'Why does this return None for an empty list?',
    ignoreFocusOut: true,
    validateInput: value => (value.trim() ? undefined : 'Type a question'),
  });
  return question?.trim() || undefined;
}
