// Finding the server: which candidates to try, in which order, and what to tell the user when none works.
// No `vscode` import: the probing and the Python extension are passed in, so this is unit-tested.

import * as path from 'path';

/** How to start the server: `command args...` over stdio. */
export interface ServerCommand {
  command: string;
  args: string[];
  /** Where the candidate came from, for the logs and the error message. */
  source: string;
}

export interface Attempt {
  candidate: ServerCommand;
  problem: string;
}

export type Discovery =
  | { found: ServerCommand; attempts: Attempt[] }
  | { found: undefined; attempts: Attempt[] };

/** Checks that a candidate starts; returns undefined when it works, or what went wrong. */
export type Probe = (candidate: ServerCommand) => Promise<string | undefined>;

export interface DiscoverySources {
  /** The `openagent.server.path` setting ('' when unset). */
  configuredPath: string;
  /** The Python extension's selected interpreter, when that extension is installed. */
  pythonExtensionInterpreter: () => Promise<string | undefined>;
  /** `which(name)`: an executable on PATH, or undefined. */
  which: (name: string) => string | undefined;
}

const MODULE_ARGS = ['-m', 'openagent_lsp'];

/** A configured path is an interpreter when its file name looks like one (python, python3.11, python.exe). */
export function looksLikePython(file: string): boolean {
  return /^python[0-9.]*(\.exe)?$/i.test(path.basename(file));
}

export function commandForPath(file: string, source: string): ServerCommand {
  return looksLikePython(file)
    ? { command: file, args: [...MODULE_ARGS], source }
    : { command: file, args: [], source };
}

/** The candidates in the documented order; later ones are built only when earlier ones fail. */
export async function* candidates(sources: DiscoverySources): AsyncGenerator<ServerCommand> {
  if (sources.configuredPath.trim()) {
    yield commandForPath(sources.configuredPath.trim(), 'setting openagent.server.path');
  }
  let interpreter: string | undefined;
  try {
    interpreter = await sources.pythonExtensionInterpreter();
  } catch {
    interpreter = undefined; // the Python extension is optional; its failure is not ours to report
  }
  if (interpreter) {
    yield { command: interpreter, args: [...MODULE_ARGS], source: 'Python extension interpreter' };
  }
  const onPath = sources.which('openagent-lsp');
  if (onPath) {
    yield { command: onPath, args: [], source: 'openagent-lsp on PATH' };
  }
  const python = sources.which('python3') ?? sources.which('python');
  yield { command: python ?? 'python3', args: [...MODULE_ARGS], source: 'python -m openagent_lsp' };
}

export async function discoverServer(sources: DiscoverySources, probe: Probe): Promise<Discovery> {
  const attempts: Attempt[] = [];
  for await (const candidate of candidates(sources)) {
    const problem = await probe(candidate);
    if (problem === undefined) {
      return { found: candidate, attempts };
    }
    attempts.push({ candidate, problem });
  }
  return { found: undefined, attempts };
}

/** One line per failed candidate, for the output channel and the error's detail. */
export function describeAttempts(attempts: Attempt[]): string {
  return attempts
    .map(a => `- ${a.candidate.source}: ${[a.candidate.command, ...a.candidate.args].join(' ')} → ${a.problem}`)
    .join('\n');
}

/** The arguments that make a candidate print its version and exit: the probe's cheap liveness check. */
export function versionArgs(candidate: ServerCommand): string[] {
  return [...candidate.args, 'version'];
}
