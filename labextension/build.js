/*
 * Build the prebuilt extension with @jupyterlab/builder, without Python.
 *
 * The builder needs JupyterLab's core package.json (which packages are shared
 * singletons, at which versions). `jupyter labextension build` takes it from the
 * installed jupyterlab; here it comes from @jupyterlab/core-meta on npm, so the
 * wheel build does not need jupyterlab installed and gives the same output
 * whichever JupyterLab 4 is around.
 *
 * Usage: node build.js [--development]
 */
'use strict';

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const here = __dirname;
const coreDir = path.join(here, 'node_modules', '.jupyterlab-core');
fs.mkdirSync(coreDir, { recursive: true });
fs.copyFileSync(
  require.resolve('@jupyterlab/core-meta/core.package.json', { paths: [here] }),
  path.join(coreDir, 'package.json')
);
const builder = require.resolve('@jupyterlab/builder/lib/build-labextension.js', {
  paths: [here]
});
const args = [builder, '--core-path', coreDir, ...process.argv.slice(2), here];
const result = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: here });
process.exit(result.status === null ? 1 : result.status);
