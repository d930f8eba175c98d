/**
 * Pure formatting: a devices answer turned into the status-bar text and the
 * panel's rows. No DOM and no JupyterLab imports, so `node --test` runs it.
 */

import type { ActivityDoc, DeviceDoc, DevicesDoc } from './devices';

export const NO_FPGA = 'no FPGA';
export const SEP = ' · ';

/** A board as users name it: the catalog slug in capitals ("u250" -> "U250"). */
export function boardLabel(device: DeviceDoc): string {
  if (device.board) {
    return device.board.toUpperCase();
  }
  return device.board_name || device.xrt_name || device.platform || device.id;
}

/**
 * Whether the FPGA is emulated: the activity's word when present (the runtime
 * decides where calls run), else the discovery's.
 */
export function isEmulated(doc: DevicesDoc): boolean {
  if (doc.activity && typeof doc.activity.emulated === 'boolean') {
    return doc.activity.emulated;
  }
  const devices = doc.devices || [];
  if (doc.backend) {
    return doc.backend === 'emulated';
  }
  return devices.length > 0 && devices.every(d => d.emulated === true);
}

function baseName(path: string): string {
  const parts = path.split('/');
  return parts[parts.length - 1] || path;
}

/** The names of the xclbins loaded now, newest first (the activity's order), without repeats. */
export function loadedXclbinNames(doc: DevicesDoc): string[] {
  const names: string[] = [];
  const add = (name: string | undefined) => {
    if (name && !names.includes(name)) {
      names.push(name);
    }
  };
  for (const x of doc.activity?.loaded_xclbins || []) {
    add(x.name || shortUuid(x.uuid));
  }
  if (names.length === 0) {
    for (const d of doc.devices || []) {
      const x = d.loaded_xclbin;
      if (x) {
        add(x.name || (x.path ? baseName(x.path) : shortUuid(x.uuid)));
      }
    }
  }
  return names;
}

export function shortUuid(uuid: string | undefined): string | undefined {
  return uuid ? `xclbin ${uuid.slice(0, 8)}` : undefined;
}

/** "U250", "2× U250", or "U250 + U280" for mixed boards. */
export function boardsLabel(devices: DeviceDoc[]): string {
  const counts = new Map<string, number>();
  for (const d of devices) {
    const label = boardLabel(d);
    counts.set(label, (counts.get(label) || 0) + 1);
  }
  return [...counts.entries()].map(([label, n]) => (n > 1 ? `${n}× ${label}` : label)).join(' + ');
}

/**
 * The status-bar text: "U250 · EMULATED · vadd.xclbin", or "no FPGA" (with the
 * board the hub requested, when it requested one this server cannot see).
 * A running kernel call adds "running"; a failed discovery says so in one word.
 */
export function statusText(doc: DevicesDoc): string {
  if (doc.error) {
    return 'FPGA: discovery failed';
  }
  const devices = doc.devices || [];
  if (devices.length === 0) {
    // the hub gave this server a board that it cannot see: say which, the panel says why
    const asked = doc.requested?.board;
    return asked && (doc.requested?.count ?? 1) > 0
      ? `${NO_FPGA}${SEP}${asked.toUpperCase()} requested`
      : NO_FPGA;
  }
  const names = loadedXclbinNames(doc);
  let xclbin = 'no xclbin';
  if (names.length === 1) {
    xclbin = names[0];
  } else if (names.length > 1) {
    xclbin = `${names[0]} +${names.length - 1}`;
  }
  const parts = [boardsLabel(devices), isEmulated(doc) ? 'EMULATED' : 'HARDWARE', xclbin];
  if (doc.activity?.busy) {
    parts.push('running');
  }
  return parts.join(SEP);
}

/** "never", "just now", "42 s ago", "5 min ago", "3 h ago", "2 d ago". */
export function ago(iso: string | null | undefined, now: number): string {
  if (!iso) {
    return 'never';
  }
  const t = Date.parse(iso);
  if (Number.isNaN(t)) {
    return iso;
  }
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 2) {
    return 'just now';
  }
  return `${duration(s)} ago`;
}

/** Seconds as people read them: "42 s", "5 min", "1 h 30 min", "2 d". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) {
    return `${s} s`;
  }
  if (s < 3600) {
    return `${Math.floor(s / 60)} min`;
  }
  if (s < 86400) {
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    return m ? `${h} h ${m} min` : `${h} h`;
  }
  return `${Math.floor(s / 86400)} d`;
}

/** Seconds until the idle limit stops the server; null when there is no limit. */
export function idleRemaining(activity: ActivityDoc, now: number): number | null {
  if (!activity.idle_timeout) {
    return null;
  }
  if (activity.busy) {
    return activity.idle_timeout;
  }
  const since = Date.parse(activity.last_activity || activity.started || '');
  if (Number.isNaN(since)) {
    return null;
  }
  return Math.max(0, activity.idle_timeout - (now - since) / 1000);
}

/** Seconds until the maximum age stops the server; null when there is no limit. */
export function ageRemaining(activity: ActivityDoc, now: number): number | null {
  const started = Date.parse(activity.started || '');
  if (!activity.max_age || Number.isNaN(started)) {
    return null;
  }
  return Math.max(0, activity.max_age - (now - started) / 1000);
}

export interface DeviceRow {
  id: string;
  board: string;
  platform: string;
  mode: string;
  health: string;
  xclbin: string;
}

export interface PanelModel {
  status: string;
  summary: string;
  devices: DeviceRow[];
  /** Label-value pairs; null when the server extension reports no activity. */
  activity: [string, string][] | null;
  xclbins: { name: string; uuid: string }[];
  problems: string[];
}

function healthText(d: DeviceDoc): string {
  const h = d.health || {};
  const parts = [h.status || (d.emulated ? 'emulated' : 'unknown')];
  if (typeof h.temperature_c === 'number') {
    parts.push(`${h.temperature_c} °C`);
  }
  if (typeof h.power_w === 'number') {
    parts.push(`${h.power_w} W`);
  }
  return parts.join(', ');
}

function activityRows(a: ActivityDoc, now: number): [string, string][] {
  const backend = a.emulated ? `${a.backend || 'emulation'} (EMULATED, runs on the CPU)` : a.backend || 'unknown';
  const rows: [string, string][] = [
    ['Backend', backend],
    ['Kernel call running', a.busy ? 'yes' : 'no'],
    ['Runs', String(a.runs ?? 0)],
    ['Last run', ago(a.last_run, now)],
    ['xclbin loads', String(a.loads ?? 0)],
    ['Last load', ago(a.last_load, now)],
    ['Last FPGA activity', ago(a.last_activity, now)]
  ];
  if (a.started) {
    rows.push(['Server started', ago(a.started, now)]);
  }
  const idle = idleRemaining(a, now);
  if (idle !== null && a.idle_timeout) {
    rows.push(['Idle limit', `${duration(a.idle_timeout)} without FPGA use (stops in ${duration(idle)})`]);
  }
  const age = ageRemaining(a, now);
  if (age !== null && a.max_age) {
    rows.push(['Maximum age', `${duration(a.max_age)} (stops in ${duration(age)})`]);
  }
  return rows;
}

/** Everything the side panel shows, as plain data. */
export function panelModel(doc: DevicesDoc, now: number): PanelModel {
  const emulated = isEmulated(doc);
  const devices = (doc.devices || []).map(d => ({
    id: d.id,
    board: d.board_name || boardLabel(d),
    platform: d.platform || '',
    mode: d.emulated ? 'EMULATED' : 'hardware',
    health: healthText(d),
    xclbin: d.loaded_xclbin
      ? d.loaded_xclbin.name ||
        (d.loaded_xclbin.path ? baseName(d.loaded_xclbin.path) : d.loaded_xclbin.uuid || '')
      : ''
  }));
  // The activity lists the pod's xclbins, not which board holds each: with one
  // board they can only be on it (an emulated board has no loaded_xclbin of its own).
  const podXclbins = doc.activity?.loaded_xclbins || [];
  if (devices.length === 1 && !devices[0].xclbin && podXclbins.length > 0) {
    devices[0].xclbin = podXclbins[0].name;
  }
  const xclbins = (doc.activity?.loaded_xclbins || []).map(x => ({ name: x.name, uuid: x.uuid }));
  if (xclbins.length === 0) {
    for (const d of doc.devices || []) {
      if (d.loaded_xclbin) {
        xclbins.push({
          name: d.loaded_xclbin.name || (d.loaded_xclbin.path ? baseName(d.loaded_xclbin.path) : ''),
          uuid: d.loaded_xclbin.uuid || ''
        });
      }
    }
  }
  const problems = [...(doc.problems || [])];
  if (doc.error) {
    problems.unshift(`Discovery failed: ${doc.error}`);
  }
  let summary = doc.summary || '';
  if (!summary && devices.length === 0) {
    summary = 'This server has no FPGA.';
  }
  if (emulated && devices.length > 0 && !summary.includes('EMULATED')) {
    summary = `EMULATED: ${summary}`;
  }
  return {
    status: statusText(doc),
    summary,
    devices,
    activity: doc.activity ? activityRows(doc.activity, now) : null,
    xclbins,
    problems
  };
}
