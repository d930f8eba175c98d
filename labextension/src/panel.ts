/**
 * The side panel: the device table, the activity and the loaded xclbins.
 *
 * Renders `format.panelModel` with `textContent` only: xclbin names and
 * problem texts come from files in the user's pod and are never parsed as HTML.
 */

import type { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { panelModel } from './format';
import type { Snapshot } from './poller';

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  className?: string
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) {
    node.textContent = text;
  }
  if (className) {
    node.className = className;
  }
  return node;
}

function table(headers: string[], rows: string[][], className: string): HTMLTableElement {
  const t = el('table', undefined, `jp-FPGAPanel-table ${className}`);
  const head = t.createTHead().insertRow();
  for (const h of headers) {
    head.appendChild(el('th', h));
  }
  const body = t.createTBody();
  for (const row of rows) {
    const tr = body.insertRow();
    for (const cell of row) {
      tr.appendChild(el('td', cell));
    }
  }
  return t;
}

export class FPGAPanel extends Widget {
  private _snapshot: Snapshot | null = null;

  /** Called whenever the panel comes into view (the plugin asks the server at once). */
  onShown: (() => void) | null = null;

  constructor(private readonly _now: () => number = Date.now) {
    super();
    this.id = 'jupyterhub-fpga-panel';
    this.addClass('jp-FPGAPanel');
    this.title.caption = 'FPGA';
    this.node.appendChild(el('p', 'Asking the server for its FPGAs…', 'jp-FPGAPanel-summary'));
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.onShown?.();
  }

  setSnapshot(snapshot: Snapshot): void {
    this._snapshot = snapshot;
    this.render();
  }

  render(): void {
    const snap = this._snapshot;
    const node = this.node;
    node.replaceChildren();
    node.appendChild(el('h2', 'FPGA', 'jp-FPGAPanel-title'));
    if (!snap || !snap.doc) {
      const phase = snap?.state.phase;
      const text =
        phase === 'absent' || phase === 'forbidden'
          ? 'This server does not report FPGAs (the jupyterhub-fpga server extension is not enabled).'
          : phase === 'failing'
            ? 'The server does not answer; retrying.'
            : 'Asking the server for its FPGAs…';
      node.appendChild(el('p', text, 'jp-FPGAPanel-summary'));
      return;
    }
    const model = panelModel(snap.doc, this._now());
    node.appendChild(el('p', model.summary || model.status, 'jp-FPGAPanel-summary'));
    if (snap.state.phase === 'failing') {
      node.appendChild(
        el('p', 'The server does not answer; showing the last answer.', 'jp-FPGAPanel-stale')
      );
    }

    node.appendChild(el('h3', 'Devices'));
    if (model.devices.length === 0) {
      node.appendChild(el('p', 'No FPGA in this server.'));
    } else {
      // one two-column table per device: a side panel is too narrow for six columns
      const list = el('div', undefined, 'jp-FPGAPanel-devices');
      for (const d of model.devices) {
        const rows: [string, string][] = [
          ['Device', d.id],
          ['Board', d.board],
          ['Platform', d.platform],
          ['Mode', d.mode],
          ['Health', d.health],
          ['xclbin', d.xclbin || 'none']
        ];
        list.appendChild(table(['', ''], rows, 'jp-FPGAPanel-device jp-FPGAPanel-pairs'));
      }
      node.appendChild(list);
    }

    node.appendChild(el('h3', 'Activity'));
    if (model.activity === null) {
      node.appendChild(el('p', 'This server extension does not report activity.'));
    } else {
      node.appendChild(table(['', ''], model.activity, 'jp-FPGAPanel-activity jp-FPGAPanel-pairs'));
    }

    node.appendChild(el('h3', 'Loaded xclbins'));
    if (model.xclbins.length === 0) {
      node.appendChild(el('p', 'None loaded.'));
    } else {
      node.appendChild(
        table(
          ['Name', 'UUID'],
          model.xclbins.map(x => [x.name, x.uuid]),
          'jp-FPGAPanel-xclbins'
        )
      );
    }

    if (model.problems.length > 0) {
      node.appendChild(el('h3', 'Problems'));
      const list = el('ul', undefined, 'jp-FPGAPanel-problems');
      for (const p of model.problems) {
        list.appendChild(el('li', p));
      }
      node.appendChild(list);
    }
  }
}
