// What the status bar item says, as a pure function of what the extension knows: the client's state,
// model-loading progress ($/progress) and the server's status (openagent/status, openagent/statusChanged).

export type ClientPhase = 'searching' | 'starting' | 'running' | 'restarting' | 'stopped' | 'failed';

export interface ModelInfo {
  state?: string; // idle | loading | ready | error
  backend?: string;
  precision?: string;
  device?: string;
  model?: string;
  error?: string;
  progressPercent?: number;
  progressMessage?: string;
}

export interface StatusState {
  phase: ClientPhase;
  model: ModelInfo;
  completionsOn: boolean;
  /** Why the client failed or restarts, when it did. */
  problem?: string;
}

export const INITIAL_STATUS: StatusState = { phase: 'searching', model: {}, completionsOn: true };

export type StatusKind = 'normal' | 'busy' | 'warning' | 'error';

export interface StatusView {
  text: string;
  tooltip: string;
  kind: StatusKind;
  /** Short machine-readable word for tests and logs: searching, starting, loading, ready, error, ... */
  word: string;
}

/** Reads the model part of an openagent/status or openagent/statusChanged payload. */
export function modelFromStatus(payload: unknown): ModelInfo {
  const p = (payload ?? {}) as { model?: Record<string, unknown>; backend?: unknown };
  const m = p.model ?? {};
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    state: str(m.state), backend: str(m.backend) ?? str(p.backend), precision: str(m.precision),
    device: str(m.device), model: str(m.model), error: str(m.error),
    progressPercent: typeof m.progress_percent === 'number' ? m.progress_percent : undefined,
    progressMessage: str(m.progress_message),
  };
}

export function renderStatus(s: StatusState): StatusView {
  const off = s.completionsOn ? '' : ' (completions off)';
  switch (s.phase) {
    case 'searching':
      return { text: '$(sync~spin) OpenAgent', tooltip: 'Looking for the OpenAgent server…', kind: 'busy', word: 'searching' };
    case 'starting':
    case 'restarting':
      return { text: '$(sync~spin) OpenAgent', tooltip: `${s.phase === 'restarting' ? 'Restarting' : 'Starting'} the server…${s.problem ? `\n${s.problem}` : ''}`, kind: 'busy', word: s.phase };
    case 'failed':
      return { text: '$(error) OpenAgent', tooltip: `The server is not running: ${s.problem ?? 'unknown error'}`, kind: 'error', word: 'failed' };
    case 'stopped':
      return { text: '$(circle-slash) OpenAgent', tooltip: 'The server is stopped.', kind: 'warning', word: 'stopped' };
    case 'running':
      break;
  }
  const m = s.model;
  if (m.state === 'error') {
    return { text: '$(error) OpenAgent', tooltip: `The model failed to load: ${m.error ?? 'unknown error'}`, kind: 'error', word: 'error' };
  }
  if (m.state === 'loading' || m.state === 'idle' || m.state === undefined) {
    const pct = m.progressPercent !== undefined ? ` ${m.progressPercent}%` : '';
    return {
      text: `$(sync~spin) OpenAgent${pct}`,
      tooltip: `Loading ${m.model ?? 'the model'}…${m.progressMessage ? `\n${m.progressMessage}` : ''}`,
      kind: 'busy', word: 'loading',
    };
  }
  const detail = [m.backend, m.precision, m.device].filter(Boolean).join(' · ');
  return {
    text: `${s.completionsOn ? '$(sparkle)' : '$(circle-slash)'} OpenAgent`,
    tooltip: `Ready: ${m.model ?? ''}${detail ? ` (${detail})` : ''}${off}\nClick for logs, restart and details.`,
    kind: s.completionsOn ? 'normal' : 'warning', word: 'ready',
  };
}
