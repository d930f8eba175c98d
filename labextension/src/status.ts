/**
 * The status-bar item: one line of text, hidden while there is nothing to say.
 */

import { Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { isEmulated, statusText } from './format';
import type { Snapshot } from './poller';

export class FPGAStatus extends Widget {
  readonly activeStateChanged = new Signal<this, void>(this);
  private _active = false;

  constructor(onClick: () => void) {
    super({ node: document.createElement('div') });
    this.id = 'jupyterhub-fpga-status';
    this.addClass('jp-FPGAStatus');
    this.node.title = 'FPGA of this server (click for details)';
    this.node.addEventListener('click', onClick);
  }

  get active(): boolean {
    return this._active;
  }

  setSnapshot(snapshot: Snapshot): void {
    const active = snapshot.state.visible && snapshot.doc !== null;
    if (snapshot.doc) {
      this.node.textContent = statusText(snapshot.doc);
      this.node.title = `${snapshot.doc.summary || statusText(snapshot.doc)} (click for details)`;
      const devices = snapshot.doc.devices || [];
      this.toggleClass('jp-mod-emulated', devices.length > 0 && isEmulated(snapshot.doc));
      this.toggleClass('jp-mod-stale', snapshot.state.phase === 'failing');
    }
    if (active !== this._active) {
      this._active = active;
      this.activeStateChanged.emit();
    }
  }
}
