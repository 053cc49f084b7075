// Owns the language client's life: finds the server, starts it, restarts it after a crash with
// backoff, and runs one start/stop/restart at a time (they are queued).

import * as vscode from 'vscode';
import {
  CloseAction, ErrorAction, LanguageClient, LanguageClientOptions, ServerOptions, State, TransportKind,
} from 'vscode-languageclient/node';
import { RestartBackoff } from './backoff';
import { describeAttempts, Discovery, ServerCommand } from './discovery';
import { ClientPhase } from '../status/model';

export interface SupervisorDeps {
  output: vscode.LogOutputChannel;
  discover(): Promise<Discovery>;
  /** Fresh options for each start (settings are read at that moment). */
  clientOptions(): LanguageClientOptions;
  /** Called with a new client before it starts: register handlers here. */
  configure(client: LanguageClient): void;
  /** Called once the client is running. */
  started(client: LanguageClient): void;
  phase(phase: ClientPhase, problem?: string): void;
  /** Tell the user, with a way to the settings and the logs. */
  fatal(message: string): void;
}

export class ServerSupervisor implements vscode.Disposable {
  private current: LanguageClient | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly backoff: RestartBackoff;

  constructor(private readonly deps: SupervisorDeps, backoff = new RestartBackoff()) {
    this.backoff = backoff;
  }

  get client(): LanguageClient | undefined {
    return this.current?.state === State.Running ? this.current : undefined;
  }

  start(): Promise<void> {
    return this.enqueue(() => this.doStart());
  }

  /** The user's restart: a fresh crash count, and no waiting. */
  restart(): Promise<void> {
    this.backoff.reset();
    this.clearTimer();
    return this.enqueue(async () => {
      await this.doStop();
      await this.doStart();
    });
  }

  stop(): Promise<void> {
    this.clearTimer();
    return this.enqueue(() => this.doStop());
  }

  dispose(): void {
    void this.stop();
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const next = this.queue.then(task, task);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async doStart(): Promise<void> {
    this.deps.phase('searching');
    const discovery = await this.deps.discover();
    if (!discovery.found) {
      const detail = describeAttempts(discovery.attempts);
      this.deps.output.error(`No working OpenAgent server found:\n${detail}`);
      this.deps.phase('failed', 'server not found');
      this.deps.fatal('OpenAgent could not start its server: none of the ways to run it worked. ' +
        'Install it (pip install openagent-lsp) or set "openagent.server.path".');
      return;
    }
    for (const a of discovery.attempts) {
      this.deps.output.warn(`Skipped ${a.candidate.source} (${a.candidate.command}): ${a.problem}`);
    }
    await this.launch(discovery.found);
  }

  private async launch(found: ServerCommand): Promise<void> {
    this.deps.output.info(`Starting the server (${found.source}): ${[found.command, ...found.args].join(' ')}`);
    this.deps.phase('starting');
    const serverOptions: ServerOptions = {
      command: found.command, args: found.args, transport: TransportKind.stdio,
      options: { env: { ...process.env, PYTHONUNBUFFERED: '1' } },
    };
    const options = this.deps.clientOptions();
    options.errorHandler = {
      // A broken message is logged by the client; the connection stays up.
      error: () => ({ action: ErrorAction.Continue, handled: true }),
      closed: () => {
        if (!this.stopping) {
          this.onCrash();
        }
        return { action: CloseAction.DoNotRestart, handled: true };
      },
    };
    const client = new LanguageClient('openagent', 'OpenAgent', serverOptions, options);
    this.current = client;
    this.deps.configure(client);
    try {
      await client.start();
    } catch (err) {
      this.deps.output.error(`The server failed to start: ${err instanceof Error ? err.message : String(err)}`);
      if (this.current === client && !this.stopping) {
        this.onCrash();
      }
      return;
    }
    this.deps.phase('running');
    this.deps.started(client);
  }

  private onCrash(): void {
    const delay = this.backoff.onCrash();
    if (delay === undefined) {
      const message = `The OpenAgent server stopped ${this.backoff.recentCrashes} times in a few minutes; it will not be restarted automatically.`;
      this.deps.output.error(message);
      this.deps.phase('failed', 'crashed repeatedly');
      this.deps.fatal(`${message} Check the logs, then run "OpenAgent: Restart server".`);
      return;
    }
    this.deps.output.warn(`The server stopped unexpectedly; restarting in ${delay} ms.`);
    this.deps.phase('restarting', 'the server stopped unexpectedly');
    this.clearTimer();
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      void this.enqueue(async () => {
        await this.doStop();
        await this.doStart();
      });
    }, delay);
  }

  private async doStop(): Promise<void> {
    const client = this.current;
    this.current = undefined;
    if (!client) {
      return;
    }
    this.stopping = true;
    try {
      if (client.state === State.Running || client.state === State.Starting) {
        await client.stop(5000);
      }
    } catch (err) {
      this.deps.output.warn(`Stopping the server: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.stopping = false;
      await client.dispose().catch(() => undefined);
      this.deps.phase('stopped');
    }
  }

  private clearTimer(): void {
    if (this.restartTimer) {
      clearTimeout(this.restartTimer);
      this.restartTimer = undefined;
    }
  }
}
