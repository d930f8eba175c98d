/**
 * When to ask `fpga/api/devices` again, and whether to show anything: pure.
 *
 * The status item must stay quiet where it has nothing to say: a 404 means the
 * server extension is not installed (plain JupyterLab, another image), a
 * 401/403 that this user may not read it, so both hide the item and stop
 * polling for good: one request, no console noise. A 503 is discovery still
 * running (the server says when to come back); other failures (server
 * restarting, network gone) back off exponentially up to a ceiling and keep the
 * last answer on screen.
 */

export type Outcome =
  | { kind: 'ok' }
  | { kind: 'http'; status: number; retryAfterSeconds?: number }
  | { kind: 'network' };

export interface PollOptions {
  /** Between successful polls while the page is visible. */
  intervalMs: number;
  /** Between successful polls while the browser tab is hidden. */
  hiddenIntervalMs: number;
  /** The longest wait after repeated failures. */
  maxBackoffMs: number;
}

/**
 * Every 10 s: a devices answer is about 2.3 KB, so polling at the server's 5 s
 * cache refresh would send more than all of JupyterLab's own idle traffic;
 * at 10 s it stays below it (benchmarks/lab_extension.py: 14 KB/min against
 * JupyterLab's 20 KB/min).
 */
export const DEFAULT_POLL: PollOptions = {
  intervalMs: 10_000,
  hiddenIntervalMs: 60_000,
  maxBackoffMs: 300_000
};

export type PollPhase = 'starting' | 'ok' | 'pending' | 'failing' | 'absent' | 'forbidden';

export interface PollState {
  phase: PollPhase;
  /** Consecutive failures (network or unexpected HTTP status). */
  failures: number;
  /** Wait before the next request; null: do not poll again. */
  delayMs: number | null;
  /** Whether the status item and panel have anything to show. */
  visible: boolean;
}

export const INITIAL_POLL: PollState = {
  phase: 'starting',
  failures: 0,
  delayMs: 0,
  visible: false
};

/** The state after one request's outcome. */
export function nextPoll(
  prev: PollState,
  outcome: Outcome,
  pageHidden: boolean,
  opts: PollOptions = DEFAULT_POLL
): PollState {
  const interval = pageHidden ? opts.hiddenIntervalMs : opts.intervalMs;
  if (outcome.kind === 'ok') {
    return { phase: 'ok', failures: 0, delayMs: interval, visible: true };
  }
  if (outcome.kind === 'http' && outcome.status === 404) {
    return { phase: 'absent', failures: 0, delayMs: null, visible: false };
  }
  if (outcome.kind === 'http' && (outcome.status === 401 || outcome.status === 403)) {
    return { phase: 'forbidden', failures: 0, delayMs: null, visible: false };
  }
  if (outcome.kind === 'http' && outcome.status === 503) {
    const asked = (outcome.retryAfterSeconds ?? 2) * 1000;
    const delayMs = Math.min(Math.max(asked, 1000), interval);
    // still discovering: keep showing what was shown (nothing yet, or the last answer)
    return { phase: 'pending', failures: prev.failures, delayMs, visible: prev.visible };
  }
  const failures = prev.failures + 1;
  const delayMs = Math.min(opts.maxBackoffMs, interval * 2 ** Math.min(failures, 20));
  return { phase: 'failing', failures, delayMs, visible: prev.visible };
}

/** A `Retry-After` header in seconds (the only form the server extension sends). */
export function parseRetryAfter(header: string | null | undefined): number | undefined {
  if (!header) {
    return undefined;
  }
  const n = Number(header.trim());
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}
