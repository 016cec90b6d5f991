#!/usr/bin/env node
// Runs the bundle (dist/bundle/, see scripts/bundle.js): a few files instead of ~80 modules per process.
import v8 from 'node:v8';

// The master does little work (the supervision loop, IPC, the control socket): it runs without V8's
// optimizing compilers, whose first use costs ~3.5 MB of RSS for good, and Node's own module loader gets
// hot enough at start-up to trigger it. Workers keep them: they are spawned with node's own flags.
v8.setFlagsFromString('--no-turbofan');
v8.setFlagsFromString('--no-maglev');
// Node's compile cache first (Node 22.1+), so that the modules imported below are compiled from it.
const { enableCompileCache } = await import('../dist/bundle/compile-cache.js');
enableCompileCache();
// `pre ctl` loads only the control client: it is run often, by hand and by scripts.
if (process.argv[2] === 'ctl') {
  const { runCtl } = await import('../dist/bundle/ctl.js');
  process.exit(await runCtl(process.argv.slice(3)));
}
// A worker process starts now, while this one loads the arbiter and reads the settings (arbiter/standby.ts).
const { startStandbyWorker } = await import('../dist/bundle/standby.js');
startStandbyWorker(process.argv.slice(2));
const { main } = await import('../dist/bundle/cli.js');
await main(process.argv.slice(2));
