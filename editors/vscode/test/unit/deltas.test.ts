import * as assert from 'assert';
import { DeltaAssembler, isChatDelta } from '../../src/chat/deltas';
import { slashCommandOf, slashSuggestions } from '../../src/chat/slash';

describe('delta assembly', () => {
  it('assembles by sequence number, holding early arrivals and dropping duplicates', () => {
    const a = new DeltaAssembler();
    assert.strictEqual(a.push(2, 'b'), '');
    assert.strictEqual(a.push(1, 'a'), 'ab');
    assert.strictEqual(a.push(2, 'X'), '');
    assert.strictEqual(a.push(3, 'c'), 'c');
    assert.strictEqual(a.text, 'abc');
    assert.strictEqual(a.applied, 3);
  });

  it('recognises delta notifications', () => {
    assert.ok(isChatDelta({ conversationId: 'c', seq: 1, text: '' }));
    assert.ok(!isChatDelta({ conversationId: 'c', seq: 1.5, text: '' }));
    assert.ok(!isChatDelta(null));
  });
});

describe('slash commands', () => {
  it('knows the server and local commands', () => {
    assert.strictEqual(slashCommandOf('/run pytest -q')?.name, '/run');
    assert.strictEqual(slashCommandOf('  /explain')?.needsSelection, true);
    assert.strictEqual(slashCommandOf('/clear')?.local, true);
    assert.strictEqual(slashCommandOf('what is /run?'), undefined);
  });

  it('suggests while the command word is typed', () => {
    assert.deepStrictEqual(slashSuggestions('/c').map(c => c.name), ['/commit', '/clear']);
    assert.deepStrictEqual(slashSuggestions('/run x'), []);
    assert.deepStrictEqual(slashSuggestions('hello'), []);
  });
});
