/**
 * The polling loop: asks, keeps the last answer, tells listeners, schedules
 * the next ask as `polling.ts` decides. The clock, the request and the page's
 * visibility are passed in, so the loop runs under `node --test` as it runs in
 * the browser.
 */

import type { DevicesDoc } from './devices';
import { DEFAULT_POLL, INITIAL_POLL, nextPoll } from './polling';
import type { Outcome, PollOptions, PollState } from './polling';

export interface FetchResult {
  outcome: Outcome;
  doc?: DevicesDoc;
}

export interface PollerDeps {
  fetchDevices: () => Promise<FetchResult>;
  schedule: (callback: () => void, ms: number) => () => void;
  pageHidden: () => boolean;
  options?: PollOptions;
}

export interface Snapshot {
  state: PollState;
  /** The last good answer; kept while later requests fail. */
  doc: DevicesDoc | null;
}

export type Listener = (snapshot: Snapshot) => void;

export class DevicesPoller {
  private _state: PollState = INITIAL_POLL;
  private _doc: DevicesDoc | null = null;
  private _cancel: (() => void) | null = null;
  private _inFlight = false;
  private _stopped = true;
  private _listeners: Listener[] = [];

  constructor(private readonly _deps: PollerDeps) {}

  get snapshot(): Snapshot {
    return { state: this._state, doc: this._doc };
  }

  subscribe(listener: Listener): () => void {
    this._listeners.push(listener);
    return () => {
      this._listeners = this._listeners.filter(l => l !== listener);
    };
  }

  start(): void {
    if (!this._stopped) {
      return;
    }
    this._stopped = false;
    this._plan(0);
  }

  stop(): void {
    this._stopped = true;
    this._cancel?.();
    this._cancel = null;
  }

  /** Ask now (the panel opened, the tab came back), unless polling has ended for good. */
  refreshNow(): void {
    if (this._stopped || this._state.delayMs === null) {
      return;
    }
    this._plan(0);
  }

  /** One request; the returned promise settles once listeners have been told. */
  async tick(): Promise<void> {
    if (this._inFlight || this._stopped) {
      return;
    }
    this._inFlight = true;
    let result: FetchResult;
    try {
      result = await this._deps.fetchDevices();
    } catch {
      result = { outcome: { kind: 'network' } };
    } finally {
      this._inFlight = false;
    }
    if (this._stopped) {
      return;
    }
    this._state = nextPoll(
      this._state,
      result.outcome,
      this._deps.pageHidden(),
      this._deps.options ?? DEFAULT_POLL
    );
    if (result.outcome.kind === 'ok' && result.doc) {
      this._doc = result.doc;
    }
    if (!this._state.visible) {
      this._doc = null;
    }
    const snapshot = this.snapshot;
    for (const listener of this._listeners) {
      listener(snapshot);
    }
    if (this._state.delayMs !== null) {
      this._plan(this._state.delayMs);
    }
  }

  private _plan(ms: number): void {
    this._cancel?.();
    this._cancel = this._deps.schedule(() => {
      this._cancel = null;
      void this.tick();
    }, ms);
  }
}
