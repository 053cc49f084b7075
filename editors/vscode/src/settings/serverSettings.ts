// Which VS Code settings reach the server, and in which shape.
//
// Only values the user set (in any scope) are sent: the server layers its settings as
// defaults < OPENAGENT_* environment < initializationOptions < didChangeConfiguration, so sending
// package.json defaults would silently override the user's environment variables.

/** Settings of the editor side only; everything else under `openagent.` is a server setting. */
export const CLIENT_ONLY_PREFIXES = ['server.', 'trace.', 'client.'];

export function isServerSetting(key: string): boolean {
  return !CLIENT_ONLY_PREFIXES.some(prefix => key.startsWith(prefix));
}

/** What `WorkspaceConfiguration.inspect` returns, reduced to what matters here. */
export interface InspectedValue {
  defaultValue?: unknown;
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
}

export type Inspect = (key: string) => InspectedValue | undefined;

export function explicitValue(inspected: InspectedValue | undefined): unknown {
  if (!inspected) {
    return undefined;
  }
  return inspected.workspaceFolderValue ?? inspected.workspaceValue ?? inspected.globalValue;
}

/** `{"completion.debounceMs": 0}` → `{completion: {debounceMs: 0}}`. */
export function nest(flat: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flat)) {
    const parts = key.split('.');
    let node = out;
    for (const part of parts.slice(0, -1)) {
      node = (node[part] ??= {}) as Record<string, unknown>;
    }
    node[parts[parts.length - 1]] = value;
  }
  return out;
}

/** The explicitly set server settings, nested as the server's Settings model expects. */
export function explicitServerSettings(keys: string[], inspect: Inspect): Record<string, unknown> {
  const flat: Record<string, unknown> = {};
  for (const key of keys.filter(isServerSetting)) {
    const value = explicitValue(inspect(key));
    if (value !== undefined) {
      flat[key] = value;
    }
  }
  return nest(flat);
}

/**
 * Settings for workspace/didChangeConfiguration. The server keeps the initializationOptions layer
 * under the runtime one, so a setting that was sent at start and is now unset is sent as `null`:
 * the server then unsets it, and the environment (OPENAGENT_*) or the server's default applies again.
 */
export function runtimeServerSettings(
  keys: string[], inspect: Inspect, sentAtStart: ReadonlySet<string>,
): Record<string, unknown> {
  const flat: Record<string, unknown> = {};
  for (const key of keys.filter(isServerSetting)) {
    const inspected = inspect(key);
    const value = explicitValue(inspected);
    if (value !== undefined) {
      flat[key] = value;
    } else if (sentAtStart.has(key)) {
      flat[key] = null;
    }
  }
  return nest(flat);
}

/** The flat keys present in a nested settings object, e.g. for remembering what was sent at start. */
export function flatKeys(nested: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(nested).flatMap(([k, v]) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? flatKeys(v as Record<string, unknown>, `${prefix}${k}.`)
      : [`${prefix}${k}`]);
}
