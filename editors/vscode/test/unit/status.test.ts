import * as assert from 'assert';
import { INITIAL_STATUS, modelFromStatus, renderStatus, StatusState } from '../../src/status/model';

const running = (model: StatusState['model'], completionsOn = true): StatusState => ({ phase: 'running', model, completionsOn });

describe('status bar text', () => {
  it('starts by searching for the server', () => {
    assert.strictEqual(renderStatus(INITIAL_STATUS).word, 'searching');
  });

  it('shows loading progress, then ready with backend and precision', () => {
    const loading = renderStatus(running({ state: 'loading', progressPercent: 40, progressMessage: 'weights' }));
    assert.strictEqual(loading.word, 'loading');
    assert.match(loading.text, /40%/);
    const ready = renderStatus(running({ state: 'ready', backend: 'transformers', precision: 'fp32', model: 'embedded' }));
    assert.strictEqual(ready.word, 'ready');
    assert.match(ready.tooltip, /embedded \(transformers · fp32\)/);
  });

  it('shows the model error and a failed server', () => {
    assert.strictEqual(renderStatus(running({ state: 'error', error: 'no such file' })).kind, 'error');
    const failed = renderStatus({ ...INITIAL_STATUS, phase: 'failed', problem: 'server not found' });
    assert.match(failed.tooltip, /server not found/);
  });

  it('says when completions are off', () => {
    const view = renderStatus(running({ state: 'ready' }, false));
    assert.match(view.tooltip, /completions off/);
    assert.strictEqual(view.kind, 'warning');
  });

  it('reads the server status payload', () => {
    const payload = { backend: 'transformers', model: { state: 'loading', model: 'tiny', precision: 'fp32', progress_percent: 10 } };
    assert.deepStrictEqual(modelFromStatus(payload), {
      state: 'loading', backend: 'transformers', precision: 'fp32', device: undefined, model: 'tiny', error: undefined,
      progressPercent: 10, progressMessage: undefined,
    });
    assert.deepStrictEqual(modelFromStatus(undefined).state, undefined);
  });
});
