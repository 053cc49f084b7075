// Helpers of the integration tests: waiting for conditions with deadlines (never fixed sleeps) and
// keeping a screenshot of a failure.

import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { OpenAgentApi } from '../../src/api';

export const RESULTS = process.env.OPENAGENT_TEST_RESULTS ?? '';
export const WORKSPACE = process.env.OPENAGENT_TEST_WORKSPACE ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';

const POLL_MS = 50;

/** Resolves with the first truthy value of `probe`, or fails naming what was awaited. */
export async function waitFor<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 30000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) {
        return value as NonNullable<T>;
      }
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${String(last)})`);
    }
    await new Promise(resolve => setTimeout(resolve, POLL_MS));
  }
}

/** Fails a promise that does not settle in time (a hung request fails fast and says which). */
export function within<T>(what: string, promise: Thenable<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([Promise.resolve(promise), timeout]).finally(() => clearTimeout(timer));
}

export async function openagent(): Promise<OpenAgentApi> {
  const extension = vscode.extensions.getExtension<OpenAgentApi>('openagent.openagent');
  if (!extension) {
    throw new Error('the extension openagent.openagent is not installed in this VS Code');
  }
  return extension.isActive ? extension.exports : extension.activate();
}

export async function openFile(name: string, text: string): Promise<vscode.TextEditor> {
  const file = path.join(WORKSPACE, name);
  fs.writeFileSync(file, text);
  const document = await vscode.workspace.openTextDocument(file);
  return vscode.window.showTextDocument(document);
}

/** Called from afterEach: a failed test asks the runner for a screenshot and waits until it exists. */
export async function keepScreenshot(test: Mocha.Test | undefined): Promise<void> {
  if (!test || test.state !== 'failed' || !RESULTS) {
    return;
  }
  const shot = `${test.fullTitle().replace(/[^A-Za-z0-9]+/g, '-').slice(0, 80)}.png`;
  console.log(`FAIL: ${test.fullTitle()} [shot:${shot}]`);
  await waitFor(`screenshot ${shot}`, () => fs.existsSync(path.join(RESULTS, shot)), 15000).catch(() => undefined);
}
