#!/usr/bin/env node
// `pre ctl` loads only the control client: it is run often, by hand and by scripts.
if (process.argv[2] === 'ctl') {
  const { runCtl } = await import('../dist/control/cli.js');
  process.exit(await runCtl(process.argv.slice(3)));
}
const { main } = await import('../dist/cli.js');
await main(process.argv.slice(2));
