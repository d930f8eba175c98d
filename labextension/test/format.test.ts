import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { DevicesDoc } from '../src/devices';
import { ago, duration, idleRemaining, panelModel, statusText } from '../src/format';

const NOW = Date.parse('2026-12-01T12:00:00Z');

/** What the server extension answers for an emulated U250 (keys as jupyter_ext sends them). */
function emulatedU250(extra: Partial<DevicesDoc> = {}): DevicesDoc {
  return {
    summary: 'EMULATED: 1 × AMD Alveo U250 (FPGA_EMULATION=1: runs on the CPU, no FPGA hardware).',
    backend: 'emulated',
    requested: { board: 'u250', board_name: 'AMD Alveo U250', count: 1 },
    devices: [
      {
        id: 'emulated-0',
        board: 'u250',
        board_name: 'AMD Alveo U250',
        platform: 'xilinx_u250_gen3x16_xdma_shell_4_1',
        emulated: true,
        loaded_xclbin: null,
        health: { status: 'emulated', temperature_c: null, power_w: null }
      }
    ],
    problems: [],
    ...extra
  };
}

const ACTIVITY = {
  runs: 3,
  loads: 1,
  last_run: '2026-12-01T11:59:30Z',
  last_load: '2026-12-01T11:50:00Z',
  last_activity: '2026-12-01T11:59:30Z',
  busy: false,
  loaded_xclbins: [{ name: 'vadd.xclbin', uuid: '0f0e0d0c-0b0a-4908-8706-050403020100' }],
  backend: 'emulation',
  emulated: true,
  started: '2026-12-01T11:00:00Z',
  idle_timeout: 1800,
  idle_warning: 300,
  max_age: 28800
};

test('an emulated U250 with a loaded xclbin reads as the issue shows it', () => {
  assert.equal(statusText(emulatedU250({ activity: ACTIVITY })), 'U250 · EMULATED · vadd.xclbin');
});

test('without the activity key (older server extension) the board and mode still show', () => {
  assert.equal(statusText(emulatedU250()), 'U250 · EMULATED · no xclbin');
});

test('a server without FPGAs says "no FPGA"', () => {
  assert.equal(statusText({ backend: 'none', devices: [], summary: 'No FPGA.' }), 'no FPGA');
  assert.equal(statusText({}), 'no FPGA');
});

test('a requested board that is not visible is named, so the user knows what is missing', () => {
  const doc: DevicesDoc = {
    backend: 'none',
    devices: [],
    requested: { board: 'u250', count: 1 },
    problems: ['Asked for 1 × AMD Alveo U250, but this pod sees no FPGA.']
  };
  assert.equal(statusText(doc), 'no FPGA · U250 requested');
  assert.deepEqual(panelModel(doc, NOW).problems, doc.problems);
  assert.equal(statusText({ devices: [], requested: { board: 'u250', count: 0 } }), 'no FPGA');
});

test('hardware is never labelled emulated, and an xclbin known only by uuid is shortened', () => {
  const doc: DevicesDoc = {
    backend: 'hardware',
    devices: [
      {
        id: '0000:3b:00.1',
        board: 'u250',
        emulated: false,
        loaded_xclbin: { uuid: '0f0e0d0c-0b0a-4908-8706-050403020100' }
      }
    ]
  };
  assert.equal(statusText(doc), 'U250 · HARDWARE · xclbin 0f0e0d0c');
});

test('two boards of a kind are counted; a running call and the newest of several xclbins show', () => {
  const doc = emulatedU250({
    activity: {
      ...ACTIVITY,
      busy: true,
      loaded_xclbins: [
        { name: 'stereo.xclbin', uuid: 'b' },
        { name: 'vadd.xclbin', uuid: 'a' }
      ]
    }
  });
  doc.devices = [...doc.devices!, { ...doc.devices![0], id: 'emulated-1' }];
  assert.equal(statusText(doc), '2× U250 · EMULATED · stereo.xclbin +1 · running');
});

test('the activity says emulated even when discovery sees hardware (the runtime decides)', () => {
  const doc: DevicesDoc = {
    backend: 'hardware',
    devices: [{ id: 'x', board: 'u280', emulated: false }],
    activity: { ...ACTIVITY, emulated: true, loaded_xclbins: [] }
  };
  assert.equal(statusText(doc), 'U280 · EMULATED · no xclbin');
});

test('a failed discovery is reported, not shown as "no FPGA"', () => {
  assert.equal(statusText({ error: 'OSError: boom' }), 'FPGA: discovery failed');
  assert.deepEqual(panelModel({ error: 'OSError: boom' }, NOW).problems, [
    'Discovery failed: OSError: boom'
  ]);
});

test('times read as people say them', () => {
  assert.equal(ago(null, NOW), 'never');
  assert.equal(ago('2026-12-01T12:00:00Z', NOW), 'just now');
  assert.equal(ago('2026-12-01T11:59:18Z', NOW), '42 s ago');
  assert.equal(ago('2026-12-01T11:55:00Z', NOW), '5 min ago');
  assert.equal(ago('2026-12-01T10:30:00Z', NOW), '1 h 30 min ago');
  assert.equal(ago('2026-11-28T12:00:00Z', NOW), '3 d ago');
  assert.equal(ago('not a date', NOW), 'not a date');
  assert.equal(duration(7200), '2 h');
});

test('the idle limit counts from the last FPGA activity, or from the start when none', () => {
  assert.equal(idleRemaining(ACTIVITY, NOW), 1800 - 30);
  assert.equal(idleRemaining({ ...ACTIVITY, last_activity: null }, NOW), 0);
  assert.equal(idleRemaining({ ...ACTIVITY, busy: true }, NOW), 1800);
  assert.equal(idleRemaining({ ...ACTIVITY, idle_timeout: null }, NOW), null);
});

test('the panel lists the device, the activity and the loaded xclbins', () => {
  const model = panelModel(emulatedU250({ activity: ACTIVITY }), NOW);
  assert.equal(model.devices.length, 1);
  assert.deepEqual(model.devices[0], {
    id: 'emulated-0',
    board: 'AMD Alveo U250',
    platform: 'xilinx_u250_gen3x16_xdma_shell_4_1',
    mode: 'EMULATED',
    health: 'emulated',
    xclbin: 'vadd.xclbin'
  });
  const rows = new Map(model.activity);
  assert.equal(rows.get('Runs'), '3');
  assert.equal(rows.get('Last run'), '30 s ago');
  assert.equal(rows.get('Kernel call running'), 'no');
  assert.match(rows.get('Backend')!, /EMULATED/);
  assert.equal(rows.get('Idle limit'), '30 min without FPGA use (stops in 29 min)');
  assert.equal(rows.get('Maximum age'), '8 h (stops in 7 h)');
  assert.deepEqual(model.xclbins, [
    { name: 'vadd.xclbin', uuid: '0f0e0d0c-0b0a-4908-8706-050403020100' }
  ]);
  assert.match(model.summary, /^EMULATED/);
});

test('without activity the panel says so instead of showing zeros', () => {
  const model = panelModel(emulatedU250(), NOW);
  assert.equal(model.activity, null);
  assert.deepEqual(model.xclbins, []);
  assert.equal(model.devices[0].xclbin, '');
});

test('hardware health shows temperature and power', () => {
  const model = panelModel(
    {
      backend: 'hardware',
      devices: [
        {
          id: 'd',
          board: 'u250',
          emulated: false,
          health: { status: 'ok', temperature_c: 41, power_w: 23.5 }
        }
      ]
    },
    NOW
  );
  assert.equal(model.devices[0].health, 'ok, 41 °C, 23.5 W');
  assert.equal(model.devices[0].mode, 'hardware');
});
