// Runs the extension's integration tests inside a real VS Code: code-server (VS Code's workbench and
// Node extension host) in headless Debian chromium driven by playwright-core, with the real Python
// server and the tests' tiny model. Exit code: 0 passed, 1 failed, 2 timed out, 3 harness error.
//
// Env: OPENAGENT_PYTHON (the project's Python; default ../../.venv/bin/python), OPENAGENT_VSCODE_HOST_DIR,
// TIMEOUT_MS (whole run, default 300000), PORT, VERBOSE=1.

import { spawn, execFileSync } from 'child_process';
import { createRequire } from 'module';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fileURLToPath } from 'url';

const EXT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REPO = path.resolve(EXT_DIR, '../..');
const HOST_DIR = process.env.OPENAGENT_VSCODE_HOST_DIR ?? path.join(EXT_DIR, '.test-host');
const PYTHON = process.env.OPENAGENT_PYTHON ?? path.join(REPO, '.venv/bin/python');
const TIMEOUT_MS = Number(process.env.TIMEOUT_MS ?? 300000);
const RESULTS = path.join(EXT_DIR, '.test-results');
const { chromium } = createRequire(path.join(HOST_DIR, 'package.json'))('playwright-core');

const t0 = Date.now();
const log = (...a) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);

function freePortFrom(base) {
  // code-server needs a fixed port in the URL; pick one per process so parallel runs do not collide.
  return String(base + (process.pid % 1000));
}

function prepare() {
  fs.rmSync(RESULTS, { recursive: true, force: true });
  fs.mkdirSync(RESULTS, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'openagent-vscode-'));
  const model = path.join(tmp, 'tiny-model');
  log('building the tiny model');
  execFileSync(PYTHON, [path.join(EXT_DIR, 'scripts/build_tiny_model.py'), model], { stdio: ['ignore', 'ignore', 'inherit'] });
  const workspace = path.join(tmp, 'workspace');
  fs.mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
  // The extension finds the server through its setting (the first place it looks).
  fs.writeFileSync(path.join(workspace, '.vscode/settings.json'), JSON.stringify({
    'openagent.server.path': PYTHON,
    'openagent.chat.maxNewTokens': 32,
    'openagent.trace.server': 'off',
    'editor.inlineSuggest.enabled': true,
    'workbench.startupEditor': 'none',
    'security.workspace.trust.enabled': false,
  }, null, 2));
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key.startsWith('OPENAGENT_')) delete env[key];
  }
  Object.assign(env, {
    OPENAGENT_MODEL: model,
    OPENAGENT_PRECISION: 'fp32',
    OPENAGENT_PROMPT_STYLE: 'chat', // see build_tiny_model.py
    OPENAGENT_COMPLETION__DEBOUNCE_MS: '0',
    OPENAGENT_DATABASE_URL: path.join(tmp, 'state.sqlite3'),
    OPENAGENT_MODEL_CACHE_DIR: path.join(tmp, 'model-cache'),
    OPENAGENT_TEST_RESULTS: RESULTS,
    OPENAGENT_TEST_WORKSPACE: workspace,
    PYTHONUNBUFFERED: '1',
  });
  return { tmp, workspace, env };
}

function startCodeServer(env, dataDir, port, workspace) {
  const entry = path.join(HOST_DIR, 'node_modules/code-server/out/node/entry.js');
  const args = [entry, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry',
    '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override',
    '--user-data-dir', path.join(dataDir, 'user'), '--extensions-dir', path.join(dataDir, 'ext'), '--log', 'info', workspace];
  const server = spawn(process.execPath, args, {
    env: { ...env, CODE_SERVER_CONFIG: path.join(dataDir, 'config.yaml') }, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
  });
  return new Promise((resolve, reject) => {
    let up = false;
    const onData = d => {
      const s = d.toString();
      if (process.env.VERBOSE) process.stdout.write(`[code-server] ${s}`);
      if (!up && /HTTP server listening/.test(s)) {
        up = true;
        resolve(server);
      }
    };
    server.stdout.on('data', onData);
    server.stderr.on('data', onData);
    server.on('exit', code => { if (!up) reject(new Error(`code-server exited with ${code}`)); });
  });
}

let codeServer; // stopped on every exit path, with everything it started (its process group)

function stopCodeServer() {
  try { if (codeServer) process.kill(-codeServer.pid, 'SIGTERM'); } catch { /* already gone */ }
  codeServer = undefined;
}

async function main() {
  const { tmp, workspace, env } = prepare();
  const dataDir = path.join(tmp, 'code-server');
  const port = freePortFrom(38000);
  codeServer = await startCodeServer(env, dataDir, port, workspace);
  log(`code-server listening on ${port}`);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  let passed = 0;
  let failed = 0;
  const exited = new Promise(resolve => {
    page.exposeFunction('codeAutomationLog', async (type, args) => {
      const line = (args ?? []).map(String).join(' ');
      console.log(line);
      const counts = /^(\d+) passed, (\d+) failed$/m.exec(line);
      const fail = /^\s*FAIL: (.*?) \[shot:(.+)\]/.exec(line);
      if (counts) {
        passed = Number(counts[1]);
        failed = Number(counts[2]);
      }
      if (fail) {
        // The failing test waits for this file before it moves on, so the picture shows its state.
        await page.screenshot({ path: path.join(RESULTS, fail[2]) }).catch(e => log('screenshot failed', e.message));
      }
    });
    page.exposeFunction('codeAutomationExit', code => resolve(code));
  });
  page.on('console', m => { if (process.env.VERBOSE) console.log('[page]', m.type(), m.text().slice(0, 400)); });
  const host = `127.0.0.1:${port}`;
  const payload = [
    ['extensionDevelopmentPath', `vscode-remote://${host}${EXT_DIR}`],
    ['extensionTestsPath', `vscode-remote://${host}${path.join(EXT_DIR, 'out/test/integration/index.js')}`],
    ['skipWelcome', 'true'],
  ];
  await page.goto(`http://${host}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
  let timer;
  const timeout = new Promise(resolve => { timer = setTimeout(() => resolve('timeout'), TIMEOUT_MS); });
  const result = await Promise.race([exited, timeout]);
  clearTimeout(timer);
  if (result !== 0) {
    await page.screenshot({ path: path.join(RESULTS, 'final.png') }).catch(() => undefined);
  }
  await browser.close();
  stopCodeServer();
  fs.rmSync(tmp, { recursive: true, force: true });
  log(`result: ${result === 'timeout' ? `timed out after ${TIMEOUT_MS} ms` : `exit ${result}`}; screenshots of failures in ${RESULTS}`);
  console.log(`vscode: ${passed} passed, ${failed} failed`);
  process.exit(result === 'timeout' ? 2 : result === 0 && failed === 0 ? 0 : 1);
}

main().catch(err => {
  console.error(err);
  stopCodeServer();
  process.exit(3);
});
