/**
 * The shape of `GET <base_url>fpga/api/devices` as this extension reads it.
 *
 * Only the keys the status item and the panel show are typed; every one is
 * optional because the answer comes from another process (an older server
 * extension has no `activity`, a failed refresh answers `{error}` only).
 */

export interface LoadedXclbin {
  name?: string;
  uuid?: string;
  path?: string;
}

export interface DeviceDoc {
  id: string;
  board?: string;
  board_name?: string;
  platform?: string;
  xrt_name?: string;
  bdf?: string;
  assigned?: boolean;
  emulated?: boolean;
  loaded_xclbin?: LoadedXclbin | null;
  health?: {
    status?: string;
    temperature_c?: number | null;
    power_w?: number | null;
  };
}

/** Contract (1) in the project's contracts: what the pod's kernels did with the FPGA. */
export interface ActivityDoc {
  runs?: number;
  loads?: number;
  last_run?: string | null;
  last_load?: string | null;
  last_activity?: string | null;
  busy?: boolean;
  loaded_xclbins?: { name: string; uuid: string }[];
  backend?: string;
  emulated?: boolean;
  started?: string;
  idle_timeout?: number | null;
  idle_warning?: number | null;
  max_age?: number | null;
}

export interface DevicesDoc {
  summary?: string;
  backend?: string;
  requested?: {
    board?: string;
    board_name?: string;
    count?: number;
    accelerator?: string;
  } | null;
  devices?: DeviceDoc[];
  problems?: string[];
  notes?: string[];
  activity?: ActivityDoc;
  error?: string;
}
