import * as assert from 'assert';
import { completionsEnabledFor, toggledLanguage } from '../../src/completions/gate';

describe('completion gate', () => {
  const languages = { '*': true, markdown: false };

  it('follows the language map with "*" as the default', () => {
    assert.strictEqual(completionsEnabledFor('python', true, languages), true);
    assert.strictEqual(completionsEnabledFor('markdown', true, languages), false);
    assert.strictEqual(completionsEnabledFor('rust', true, { '*': false }), false);
    assert.strictEqual(completionsEnabledFor('rust', true, {}), true);
  });

  it('the global switch wins', () => {
    assert.strictEqual(completionsEnabledFor('python', false, languages), false);
  });

  it('toggling a language flips only that language', () => {
    assert.deepStrictEqual(toggledLanguage(languages, 'python'), { '*': true, markdown: false, python: false });
    assert.deepStrictEqual(toggledLanguage(languages, 'markdown'), { '*': true, markdown: true });
  });
});
