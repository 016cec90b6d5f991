// Side-by-side benchmark for issue 5, in one run, alternating rounds (the machine is shared: compare
// ratios, not absolute numbers). Needs wrk and Node 20 (the native uWS build).
//   node bench/uws/run.js [--seconds 5] [--rounds 3] [--http-only]
// With 2+ cores the server is pinned to core 0 and wrk (or the WebSocket load) to core 1 with taskset,
// so every contender gets the same CPU; each is one process, started fresh per round.
import { execFileSync, spawn } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const here = (f) => fileURLToPath(new URL(f, import.meta.url));
const PRE = here('../../packages/core/bin/pre.js');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
const SECONDS = arg('seconds', 5);
const ROUNDS = arg('rounds', 3);
const HTTP_ONLY = process.argv.includes('--http-only');

/** `taskset -c CORE` prefix when there are two cores to split between server and load generator. */
const PIN = (() => {
  try {
    execFileSync('taskset', ['-c', '0', 'true']);
    return os.availableParallelism() >= 2;
  } catch {
    return false;
  }
})();
const pinned = (core, file, args) => (PIN ? ['taskset', ['-c', String(core), file, ...args]] : [file, args]);

async function freePort() {
  const server = net.createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

/** Starts a server and waits until it answers HTTP. */
async function start(name, argv, port) {
  const [file, args] = pinned(0, process.execPath, argv);
  const child = spawn(file, args, { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.ok, () => false);
    if (ok) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${name} did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { stop: () => new Promise((r) => (child.exitCode !== null ? r() : (child.once('exit', r), child.kill('SIGTERM')))) };
}

function wrk(port, path) {
  const out = execFileSync(...pinned(1, 'wrk', ['-t1', '-c64', `-d${SECONDS}s`, `http://127.0.0.1:${port}${path}`]), { encoding: 'utf8' });
  return Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]);
}

function wsLoad(port) {
  const out = execFileSync(...pinned(1, process.execPath, [here('../load/ws-load.js'), JSON.stringify({ url: `http://127.0.0.1:${port}/`, connections: 32, durationS: SECONDS })]), { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1)).rps;
}

const pre = (app, workerClass) => [PRE, here(app), '-k', workerClass, '-w', '1', '-b', `127.0.0.1:${'$PORT'}`];
const contenders = {
  'raw uWS hello': { argv: () => [here('raw-uws.js')], load: (p) => wrk(p, '/') },
  'pre uws hello': { argv: (p) => pre('hello-app.js', 'uws').map((a) => a.replace('$PORT', p)), load: (p) => wrk(p, '/') },
  '@hono/node-server': { argv: () => [here('hono-node.js')], load: (p) => wrk(p, '/json') },
  'pre uws + Hono': { argv: (p) => pre('hono-app.js', 'uws').map((a) => a.replace('$PORT', p)), load: (p) => wrk(p, '/json') },
  'pre async ws echo': { argv: (p) => pre('ws-app.js', 'async').map((a) => a.replace('$PORT', p)), load: wsLoad },
  'pre uws ws echo': { argv: (p) => pre('ws-app.js', 'uws').map((a) => a.replace('$PORT', p)), load: wsLoad },
};

if (HTTP_ONLY) for (const name of Object.keys(contenders)) if (name.includes(' ws ')) delete contenders[name];
const results = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, c] of Object.entries(contenders)) {
    const port = await freePort();
    const server = await start(name, c.argv(String(port)), port);
    try {
      results[name].push(c.load(port));
    } finally {
      await server.stop();
    }
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const m = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v)]));
console.log(`Node ${process.versions.node}, wrk -t1 -c64 -d${SECONDS}s, ${ROUNDS} alternating rounds, medians (1 process each${PIN ? ', server on core 0, load on core 1' : ', not pinned'}):`);
for (const [name, v] of Object.entries(results)) console.log(`  ${name.padEnd(20)} ${Math.round(m[name]).toString().padStart(7)} /s   rounds: ${v.map(Math.round).join(', ')}`);
console.log(`pre uws / raw uWS (hello):            ${(m['pre uws hello'] / m['raw uWS hello']).toFixed(2)}x (target >= 0.95)`);
console.log(`pre uws + Hono / @hono/node-server:   ${(m['pre uws + Hono'] / m['@hono/node-server']).toFixed(2)}x (target >= 2)`);
if (!HTTP_ONLY) console.log(`WebSocket echo msgs/s, uws / async:   ${(m['pre uws ws echo'] / m['pre async ws echo']).toFixed(2)}x`);
