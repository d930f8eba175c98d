/**
 * jupyterhub-fpga's JupyterLab extension: the pod's FPGA in the status bar and
 * in a side panel, read from the server extension's `fpga/api/devices`.
 *
 * Both need nothing but that endpoint: without a status bar (Notebook 7) only
 * the panel is added; without the server extension (404) nothing is shown and
 * polling stops after the first request.
 */

import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { IStatusBar } from '@jupyterlab/statusbar';
import { LabIcon } from '@jupyterlab/ui-components';

import type { DevicesDoc } from './devices';
import { FPGAPanel } from './panel';
import { DevicesPoller } from './poller';
import type { FetchResult } from './poller';
import { parseRetryAfter } from './polling';
import { FPGAStatus } from './status';

const PLUGIN_ID = 'jupyterhub-fpga:plugin';
const COMMAND_OPEN = 'jupyterhub-fpga:open-panel';

const fpgaIcon = new LabIcon({
  name: 'jupyterhub-fpga:chip',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">' +
    '<g class="jp-icon3" fill="#616161">' +
    '<path d="M7 7h10v10H7z" fill-opacity=".35"/>' +
    '<path d="M9 2h2v3H9zm4 0h2v3h-2zM9 19h2v3H9zm4 0h2v3h-2zM2 9h3v2H2zm0 4h3v2H2zm17-4h3v2h-3zm0 4h3v2h-3z"/>' +
    '<path d="M5 5h14v14H5zm2 2v10h10V7z"/>' +
    '</g></svg>'
});

async function fetchDevices(settings: ServerConnection.ISettings): Promise<FetchResult> {
  const url = URLExt.join(settings.baseUrl, 'fpga/api/devices');
  const response = await ServerConnection.makeRequest(url, {}, settings);
  if (!response.ok) {
    const retryAfterSeconds = parseRetryAfter(response.headers.get('Retry-After'));
    return { outcome: { kind: 'http', status: response.status, retryAfterSeconds } };
  }
  const doc = (await response.json()) as DevicesDoc;
  return { outcome: { kind: 'ok' }, doc };
}

function activate(app: JupyterFrontEnd, statusBar: IStatusBar | null): void {
  const settings = ServerConnection.makeSettings();
  const poller = new DevicesPoller({
    fetchDevices: () => fetchDevices(settings),
    schedule: (callback, ms) => {
      const handle = window.setTimeout(callback, ms);
      return () => window.clearTimeout(handle);
    },
    pageHidden: () => document.hidden
  });

  const panel = new FPGAPanel();
  panel.title.icon = fpgaIcon;
  if (app.name !== 'JupyterLab') {
    // Notebook 7 lists side panels by label (View > Left Sidebar); Lab shows the icon
    panel.title.label = 'FPGA';
  }
  let panelAdded = false;
  const addPanel = () => {
    if (!panelAdded) {
      app.shell.add(panel, 'left', { rank: 900 });
      panelAdded = true;
    }
  };
  panel.onShown = () => poller.refreshNow();
  const showPanel = () => {
    addPanel();
    app.shell.activateById(panel.id);
  };

  app.commands.addCommand(COMMAND_OPEN, {
    label: 'Show FPGA Panel',
    caption: "The FPGA of this server: devices, activity, loaded xclbins",
    execute: showPanel
  });

  if (statusBar) {
    const item = new FPGAStatus(showPanel);
    statusBar.registerStatusItem(PLUGIN_ID, {
      item,
      align: 'left',
      rank: 4,
      isActive: () => item.active,
      activeStateChanged: item.activeStateChanged
    });
    poller.subscribe(snapshot => item.setSnapshot(snapshot));
  }
  poller.subscribe(snapshot => {
    panel.setSnapshot(snapshot);
    // the panel joins the side bar only once the server has said it reports FPGAs
    if (snapshot.state.visible) {
      addPanel();
    }
  });
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) {
      poller.refreshNow();
    }
  });
  poller.start();
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Shows the FPGA of this Jupyter server in the status bar and a side panel.',
  autoStart: true,
  optional: [IStatusBar],
  activate
};

export default plugin;
