// When to restart a crashed server: exponential backoff, and giving up after repeated quick crashes
// (a server that dies at start-up would otherwise restart forever).

export interface BackoffOptions {
  initialDelayMs: number;
  maxDelayMs: number;
  /** Crashes within `windowMs` after which the supervisor stops restarting. */
  maxCrashes: number;
  windowMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialDelayMs: 1000, maxDelayMs: 30000, maxCrashes: 5, windowMs: 180000 };

export class RestartBackoff {
  private crashes: number[] = [];

  constructor(private readonly options: BackoffOptions = DEFAULT_BACKOFF, private readonly now: () => number = Date.now) {}

  /** Records a crash; returns the delay before the next start, or undefined to give up. */
  onCrash(): number | undefined {
    const t = this.now();
    this.crashes = this.crashes.filter(c => t - c < this.options.windowMs);
    this.crashes.push(t);
    if (this.crashes.length >= this.options.maxCrashes) {
      return undefined;
    }
    const delay = this.options.initialDelayMs * 2 ** (this.crashes.length - 1);
    return Math.min(delay, this.options.maxDelayMs);
  }

  /** A manual restart or a long healthy run starts the count afresh. */
  reset(): void {
    this.crashes = [];
  }

  get recentCrashes(): number {
    return this.crashes.length;
  }
}
