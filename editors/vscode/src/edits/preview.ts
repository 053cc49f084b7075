// Large agent edits go through VS Code's refactor preview: the edit is marked with a change
// annotation that needs confirmation, which VS Code turns into the preview panel.

import type { Range, WorkspaceEdit } from 'vscode-languageclient';

/** A text edit of any flavour the protocol allows (plain, annotated, snippet). */
interface AnyTextEdit {
  range: Range;
  newText?: string;
  snippet?: { value: string };
}

export interface EditSize {
  files: number;
  createsOrDeletes: boolean;
  changedLines: number;
}

function linesOf(edit: AnyTextEdit): number {
  const replaced = edit.range.end.line - edit.range.start.line + 1;
  const inserted = (edit.newText ?? edit.snippet?.value ?? '').split('\n').length;
  return Math.max(replaced, inserted);
}

export function measureEdit(edit: WorkspaceEdit): EditSize {
  const files = new Set<string>();
  let changedLines = 0;
  let createsOrDeletes = false;
  for (const [uri, edits] of Object.entries(edit.changes ?? {})) {
    files.add(uri);
    changedLines += edits.reduce((n: number, e: AnyTextEdit) => n + linesOf(e), 0);
  }
  for (const change of edit.documentChanges ?? []) {
    if ('kind' in change) {
      createsOrDeletes = true;
      files.add(change.kind === 'rename' ? change.newUri : change.uri);
    } else {
      files.add(change.textDocument.uri);
      changedLines += change.edits.reduce((n: number, e: AnyTextEdit) => n + linesOf(e), 0);
    }
  }
  return { files: files.size, createsOrDeletes, changedLines };
}

/** Small edits in one file apply at once; anything larger, multi-file or creating files is previewed. */
export function needsPreview(edit: WorkspaceEdit, maxLines: number): boolean {
  const size = measureEdit(edit);
  return maxLines === 0 || size.files > 1 || size.createsOrDeletes || size.changedLines > maxLines;
}

export const PREVIEW_ANNOTATION = 'openagent.preview';

/** The same edit with every change annotated as needing confirmation. */
export function withConfirmation(edit: WorkspaceEdit, label: string): WorkspaceEdit {
  const annotate = <E extends AnyTextEdit>(e: E): E => ({ ...e, annotationId: PREVIEW_ANNOTATION });
  const documentChanges = [
    ...Object.entries(edit.changes ?? {}).map(([uri, edits]) => ({
      textDocument: { uri, version: null }, edits: edits.map(annotate),
    })),
    ...(edit.documentChanges ?? []).map(change =>
      'kind' in change ? { ...change, annotationId: PREVIEW_ANNOTATION } : { ...change, edits: change.edits.map(annotate) }),
  ];
  return {
    documentChanges: documentChanges as WorkspaceEdit['documentChanges'],
    changeAnnotations: {
      ...(edit.changeAnnotations ?? {}),
      [PREVIEW_ANNOTATION]: { label, needsConfirmation: true, description: 'Proposed by OpenAgent' },
    },
  };
}
