import * as assert from 'assert';
import type { WorkspaceEdit } from 'vscode-languageclient';
import { measureEdit, needsPreview, PREVIEW_ANNOTATION, withConfirmation } from '../../src/edits/preview';

const range = (a: number, b: number) => ({ start: { line: a, character: 0 }, end: { line: b, character: 0 } });
const small: WorkspaceEdit = { changes: { 'file:///a.py': [{ range: range(3, 5), newText: 'def f():\n    """Doc."""\n    pass\n' }] } };
const long: WorkspaceEdit = { changes: { 'file:///a.py': [{ range: range(0, 2), newText: 'x\n'.repeat(60) }] } };
const creates: WorkspaceEdit = {
  documentChanges: [
    { kind: 'create', uri: 'file:///test_a.py', options: { ignoreIfExists: true } },
    { textDocument: { uri: 'file:///test_a.py', version: null }, edits: [{ range: range(0, 0), newText: 'def test(): pass\n' }] },
  ],
};

describe('refactor preview for large edits', () => {
  it('measures files, lines and file creation', () => {
    assert.deepStrictEqual(measureEdit(small), { files: 1, createsOrDeletes: false, changedLines: 4 });
    assert.deepStrictEqual(measureEdit(creates), { files: 1, createsOrDeletes: true, changedLines: 2 });
  });

  it('small single-file edits apply directly; long, file-creating or multi-file ones are previewed', () => {
    assert.strictEqual(needsPreview(small, 40), false);
    assert.strictEqual(needsPreview(long, 40), true);
    assert.strictEqual(needsPreview(creates, 40), true);
    assert.strictEqual(needsPreview({ changes: { 'file:///a': [], 'file:///b': [] } }, 40), true);
    assert.strictEqual(needsPreview(small, 0), true, '0 previews everything');
  });

  it('marks every change with an annotation that needs confirmation', () => {
    const marked = withConfirmation(creates, 'Write tests');
    assert.deepStrictEqual(marked.changeAnnotations?.[PREVIEW_ANNOTATION], {
      label: 'Write tests', needsConfirmation: true, description: 'Proposed by OpenAgent',
    });
    const changes = marked.documentChanges as { annotationId?: string; edits?: { annotationId?: string }[] }[];
    assert.strictEqual(changes[0].annotationId, PREVIEW_ANNOTATION);
    assert.ok(changes[1].edits!.every(e => e.annotationId === PREVIEW_ANNOTATION));
    const fromChanges = withConfirmation(small, 'Docstring').documentChanges as { textDocument: { uri: string } }[];
    assert.strictEqual(fromChanges[0].textDocument.uri, 'file:///a.py', 'the changes map becomes document changes');
  });
});
