// Chooses the load generator: wrk when installed, otherwise the undici one; WebSocket echo has its own.
import { fileURLToPath } from 'node:url';
import { startProcess } from './processes.js';
import { HAS_WRK, runWrk } from './wrk.js';

const script = (name) => fileURLToPath(new URL(`../load/${name}`, import.meta.url));

export function loadGeneratorName(forced) {
  return forced ?? (HAS_WRK ? 'wrk' : 'undici');
}

async function runNodeLoad(file, options) {
  const proc = startProcess(process.execPath, [script(file), JSON.stringify(options)], { role: 'load' });
  const { code } = await proc.exited;
  const line = proc.output.trim().split('\n').at(-1) ?? '';
  if (code !== 0 || !line.startsWith('{')) throw new Error(`${file} failed (${code}): ${proc.output.slice(-500)}`);
  return JSON.parse(line);
}

/** One measurement of `scenario` on `port`: { requests, rps, p50Ms, p99Ms, errors }. */
export async function runLoad(port, scenario, durationS, generator) {
  const url = `http://127.0.0.1:${port}${scenario.path}`;
  if (scenario.websocket) return runNodeLoad('ws-load.js', { url, connections: scenario.connections, durationS });
  if (generator === 'wrk') return runWrk(port, scenario, durationS);
  return runNodeLoad('undici-load.js', { url, durationS, ...scenario });
}

/** True when a WebSocket echo works on `port` (pre classes gain WebSocket support one by one). */
export async function webSocketEchoWorks(port) {
  const { default: WebSocket } = await import('ws');
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    const done = (ok) => {
      clearTimeout(timer);
      ws.terminate();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 3000);
    ws.on('open', () => ws.send('ping'));
    ws.on('message', (data) => done(String(data) === 'ping'));
    ws.on('error', () => done(false));
  });
}
