import assert from 'node:assert/strict';
import { test } from 'node:test';

import { DevicesPoller } from '../src/poller';
import type { FetchResult, Snapshot } from '../src/poller';
import { INITIAL_POLL, nextPoll, parseRetryAfter } from '../src/polling';
import type { PollState } from '../src/polling';

const OPTS = { intervalMs: 5000, hiddenIntervalMs: 60000, maxBackoffMs: 300000 };

test('a good answer shows the item and polls at the interval (slower in a hidden tab)', () => {
  const s = nextPoll(INITIAL_POLL, { kind: 'ok' }, false, OPTS);
  assert.deepEqual(s, { phase: 'ok', failures: 0, delayMs: 5000, visible: true });
  assert.equal(nextPoll(INITIAL_POLL, { kind: 'ok' }, true, OPTS).delayMs, 60000);
});

test('404 (no server extension) hides the item and stops polling for good', () => {
  const s = nextPoll(INITIAL_POLL, { kind: 'http', status: 404 }, false, OPTS);
  assert.equal(s.visible, false);
  assert.equal(s.delayMs, null);
  assert.equal(s.phase, 'absent');
});

test('401 and 403 hide and stop too', () => {
  for (const status of [401, 403]) {
    const s = nextPoll(INITIAL_POLL, { kind: 'http', status }, false, OPTS);
    assert.equal(s.visible, false);
    assert.equal(s.delayMs, null);
  }
});

test('503 (discovery still running) comes back when the server says, within bounds', () => {
  const pending = (retryAfterSeconds?: number) =>
    nextPoll(INITIAL_POLL, { kind: 'http', status: 503, retryAfterSeconds }, false, OPTS);
  assert.equal(pending(2).delayMs, 2000);
  assert.equal(pending(undefined).delayMs, 2000);
  assert.equal(pending(0).delayMs, 1000);
  assert.equal(pending(3600).delayMs, 5000);
  assert.equal(pending(2).failures, 0);
});

test('failures back off exponentially to the ceiling, keep what was shown, and reset on success', () => {
  let s: PollState = nextPoll(INITIAL_POLL, { kind: 'ok' }, false, OPTS);
  const delays: number[] = [];
  for (let i = 0; i < 10; i++) {
    s = nextPoll(s, i % 2 ? { kind: 'network' } : { kind: 'http', status: 502 }, false, OPTS);
    delays.push(s.delayMs!);
    assert.equal(s.visible, true);
  }
  assert.deepEqual(delays.slice(0, 6), [10000, 20000, 40000, 80000, 160000, 300000]);
  assert.equal(delays[9], 300000);
  s = nextPoll(s, { kind: 'ok' }, false, OPTS);
  assert.deepEqual(s, { phase: 'ok', failures: 0, delayMs: 5000, visible: true });
});

test('Retry-After in seconds is read; anything else is ignored', () => {
  assert.equal(parseRetryAfter('2'), 2);
  assert.equal(parseRetryAfter(' 10 '), 10);
  assert.equal(parseRetryAfter(null), undefined);
  assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT'), undefined);
  assert.equal(parseRetryAfter('-1'), undefined);
});

/** A poller on a fake clock: `run()` fires the next scheduled callback. */
function harness(answers: (FetchResult | Error)[]) {
  const timers: { fn: () => void; ms: number }[] = [];
  const seen: Snapshot[] = [];
  let requests = 0;
  const poller = new DevicesPoller({
    fetchDevices: async () => {
      const a = answers[Math.min(requests++, answers.length - 1)];
      if (a instanceof Error) {
        throw a;
      }
      return a;
    },
    schedule: (fn, ms) => {
      const t = { fn, ms };
      timers.push(t);
      return () => {
        const i = timers.indexOf(t);
        if (i >= 0) {
          timers.splice(i, 1);
        }
      };
    },
    pageHidden: () => false,
    options: OPTS
  });
  poller.subscribe(s => seen.push(s));
  return {
    poller,
    seen,
    timers,
    requests: () => requests,
    async run() {
      const t = timers.shift();
      if (!t) {
        throw new Error('no poll is scheduled');
      }
      await poller.tick.call(poller);
      return t.ms;
    }
  };
}

const DOC = { backend: 'emulated', devices: [{ id: 'emulated-0', board: 'u250', emulated: true }] };

test('the poller asks once and never again when the server extension is absent', async () => {
  const h = harness([{ outcome: { kind: 'http', status: 404 } }]);
  h.poller.start();
  assert.equal(await h.run(), 0);
  assert.equal(h.requests(), 1);
  assert.equal(h.timers.length, 0);
  assert.equal(h.seen.length, 1);
  assert.equal(h.seen[0].state.visible, false);
  h.poller.refreshNow();
  assert.equal(h.timers.length, 0, 'refreshNow does not restart a poller that has ended');
});

test('the poller keeps the last answer through a network failure, then backs off', async () => {
  const h = harness([{ outcome: { kind: 'ok' }, doc: DOC }, new Error('Failed to fetch')]);
  h.poller.start();
  await h.run();
  assert.deepEqual(h.seen[0].doc, DOC);
  assert.equal(h.timers[0].ms, 5000);
  await h.run();
  assert.equal(h.seen[1].state.phase, 'failing');
  assert.deepEqual(h.seen[1].doc, DOC, 'the last good answer stays on screen');
  assert.equal(h.timers[0].ms, 10000);
  h.poller.stop();
  assert.equal(h.timers.length, 0);
});

test('refreshNow replaces the pending wait with an immediate ask', async () => {
  const h = harness([{ outcome: { kind: 'ok' }, doc: DOC }]);
  h.poller.start();
  await h.run();
  assert.equal(h.timers.length, 1);
  h.poller.refreshNow();
  assert.equal(h.timers.length, 1);
  assert.equal(h.timers[0].ms, 0);
});
