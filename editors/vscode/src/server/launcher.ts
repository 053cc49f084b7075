// The VS Code and operating-system side of finding the server: probing a candidate by running it,
// searching PATH, and asking the Python extension for the selected interpreter.

import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { ServerCommand, versionArgs } from './discovery';

const PROBE_TIMEOUT_MS = 20000;

/** Runs `<candidate> version`; the server answers without importing anything heavy. */
export function probeServer(candidate: ServerCommand, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  return new Promise(resolve => {
    execFile(candidate.command, versionArgs(candidate), { timeout: PROBE_TIMEOUT_MS, env }, (error, stdout, stderr) => {
      if (!error && /openagent-lsp/.test(stdout)) {
        resolve(undefined);
      } else if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
        resolve('not found');
      } else {
        const why = (stderr || stdout || (error ? error.message : '')).trim().split('\n').slice(-1)[0];
        resolve(why || 'did not print a version');
      }
    });
  });
}

export function which(name: string, envPath = process.env.PATH ?? ''): string | undefined {
  const exts = process.platform === 'win32' ? ['.exe', '.cmd', ''] : [''];
  for (const dir of envPath.split(path.delimiter).filter(Boolean)) {
    for (const ext of exts) {
      const file = path.join(dir, name + ext);
      try {
        fs.accessSync(file, fs.constants.X_OK);
        if (fs.statSync(file).isFile()) {
          return file;
        }
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

interface PythonEnvironmentApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { path: string };
    resolveEnvironment(env: { path: string }): Promise<{ executable: { uri?: vscode.Uri } } | undefined>;
  };
}

/** The interpreter selected in the Python extension, when it is installed. */
export async function pythonExtensionInterpreter(resource?: vscode.Uri): Promise<string | undefined> {
  const extension = vscode.extensions.getExtension<PythonEnvironmentApi>('ms-python.python');
  if (!extension) {
    return undefined;
  }
  const api = extension.isActive ? extension.exports : await extension.activate();
  const environments = api?.environments;
  if (!environments) {
    return undefined;
  }
  const active = environments.getActiveEnvironmentPath(resource);
  const resolved = await environments.resolveEnvironment(active);
  return resolved?.executable.uri?.fsPath;
}
