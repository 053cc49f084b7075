import * as assert from 'assert';
import { RestartBackoff } from '../../src/server/backoff';

describe('restart backoff', () => {
  const options = { initialDelayMs: 1000, maxDelayMs: 5000, maxCrashes: 5, windowMs: 60000 };

  it('doubles the delay up to the maximum, then gives up after repeated crashes', () => {
    let now = 0;
    const backoff = new RestartBackoff(options, () => now);
    const delays = [1, 2, 3, 4, 5].map(() => { now += 100; return backoff.onCrash(); });
    assert.deepStrictEqual(delays, [1000, 2000, 4000, 5000, undefined]);
  });

  it('forgets crashes older than the window', () => {
    let now = 0;
    const backoff = new RestartBackoff(options, () => now);
    backoff.onCrash();
    backoff.onCrash();
    now = 120000;
    assert.strictEqual(backoff.onCrash(), 1000);
    assert.strictEqual(backoff.recentCrashes, 1);
  });

  it('a manual restart resets the count', () => {
    const backoff = new RestartBackoff(options, () => 0);
    [1, 2, 3, 4].forEach(() => backoff.onCrash());
    backoff.reset();
    assert.strictEqual(backoff.onCrash(), 1000);
  });
});
