import * as assert from 'assert';
import { commandForPath, describeAttempts, discoverServer, DiscoverySources, looksLikePython, ServerCommand } from '../../src/server/discovery';

function sources(over: Partial<DiscoverySources> = {}): DiscoverySources {
  return {
    configuredPath: '',
    pythonExtensionInterpreter: async () => undefined,
    which: () => undefined,
    ...over,
  };
}

const works = (good: (c: ServerCommand) => boolean) => async (c: ServerCommand) => (good(c) ? undefined : 'broken');

describe('server discovery', () => {
  it('tries the setting, the Python extension, PATH, then python -m, in that order', async () => {
    const tried: string[] = [];
    const result = await discoverServer(sources({
      configuredPath: '/opt/oa/bin/openagent-lsp',
      pythonExtensionInterpreter: async () => '/venv/bin/python',
      which: name => (name === 'openagent-lsp' ? '/usr/bin/openagent-lsp' : name === 'python3' ? '/usr/bin/python3' : undefined),
    }), async c => {
      tried.push(`${c.command} ${c.args.join(' ')}`.trim());
      return 'no';
    });
    assert.strictEqual(result.found, undefined);
    assert.deepStrictEqual(tried, [
      '/opt/oa/bin/openagent-lsp',
      '/venv/bin/python -m openagent_lsp',
      '/usr/bin/openagent-lsp',
      '/usr/bin/python3 -m openagent_lsp',
    ]);
  });

  it('stops at the first candidate that works and keeps the failed attempts', async () => {
    const result = await discoverServer(sources({
      configuredPath: '/nope/openagent-lsp',
      pythonExtensionInterpreter: async () => '/venv/bin/python',
    }), works(c => c.command === '/venv/bin/python'));
    assert.deepStrictEqual(result.found, { command: '/venv/bin/python', args: ['-m', 'openagent_lsp'], source: 'Python extension interpreter' });
    assert.strictEqual(result.attempts.length, 1);
    assert.match(describeAttempts(result.attempts), /setting openagent.server.path: \/nope\/openagent-lsp → broken/);
  });

  it('runs a configured interpreter with -m openagent_lsp, anything else as is', () => {
    assert.deepStrictEqual(commandForPath('/v/bin/python3.11', 's').args, ['-m', 'openagent_lsp']);
    assert.strictEqual(looksLikePython('/v/Scripts/python.exe'), true);
    assert.deepStrictEqual(commandForPath('/v/bin/openagent-lsp', 's').args, []);
    assert.strictEqual(looksLikePython('/usr/bin/pythonista'), false);
  });

  it('a failing Python extension does not stop the search', async () => {
    const result = await discoverServer(sources({
      pythonExtensionInterpreter: async () => { throw new Error('extension crashed'); },
      which: name => (name === 'openagent-lsp' ? '/bin/openagent-lsp' : undefined),
    }), works(() => true));
    assert.strictEqual(result.found?.source, 'openagent-lsp on PATH');
  });

  it('falls back to python3 -m openagent_lsp when nothing else exists', async () => {
    const result = await discoverServer(sources(), works(() => true));
    assert.deepStrictEqual(result.found, { command: 'python3', args: ['-m', 'openagent_lsp'], source: 'python -m openagent_lsp' });
  });
});
