import * as assert from 'assert';
import { explicitServerSettings, flatKeys, isServerSetting, nest, runtimeServerSettings, InspectedValue } from '../../src/settings/serverSettings';

const keys = ['server.path', 'trace.server', 'client.completionLanguages', 'model', 'precision', 'completion.debounceMs', 'chat.maxNewTokens'];

function inspector(values: Record<string, InspectedValue>) {
  return (key: string) => values[key];
}

describe('server settings', () => {
  it('editor-only settings never reach the server', () => {
    assert.deepStrictEqual(keys.filter(isServerSetting), ['model', 'precision', 'completion.debounceMs', 'chat.maxNewTokens']);
  });

  it('sends only what the user set, nested, so the environment keeps the rest', () => {
    const settings = explicitServerSettings(keys, inspector({
      'server.path': { globalValue: '/x/python' },
      model: { defaultValue: 'embedded' },
      precision: { defaultValue: 'auto', globalValue: 'fp32', workspaceValue: 'int8' },
      'completion.debounceMs': { defaultValue: 150, workspaceFolderValue: 0 },
    }));
    assert.deepStrictEqual(settings, { precision: 'int8', completion: { debounceMs: 0 } });
  });

  it('a setting sent at start and now unset is sent as null (the server unsets it)', () => {
    const inspect = inspector({
      model: { defaultValue: 'embedded' },
      precision: { defaultValue: 'auto' },
      'chat.maxNewTokens': { defaultValue: 384, workspaceValue: 32 },
    });
    const settings = runtimeServerSettings(keys, inspect, new Set(['model']));
    assert.deepStrictEqual(settings, { model: null, chat: { maxNewTokens: 32 } });
  });

  it('nest and flatKeys are inverse on settings objects', () => {
    const flat = { 'completion.debounceMs': 0, model: 'x', 'chat.maxNewTokens': 4 };
    assert.deepStrictEqual(flatKeys(nest(flat)).sort(), Object.keys(flat).sort());
  });
});
