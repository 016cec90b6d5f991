// The HTTP/2 row of pnpm bench: one pre async ×2 server with `--http-protocols h2,h1 --http2-cleartext
// prior-knowledge` on the bench app, measured over HTTP/1.1 (the hello scenario: 64 keep-alive
// connections) and over h2c (4 connections × 16 streams = 64 requests in flight), same app, same port.
// h2load (Debian's nghttp2-client) when installed, else a node:http2 load client.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runLoad } from './load.js';
import { PRE_BIN, ROOT } from './pre-classes.js';
import { freePort, startProcess, stopAllProcesses, waitFor } from './processes.js';

const APP = fileURLToPath(new URL('../apps/pre-app.js', import.meta.url));
const H2_CONNECTIONS = 4;
const H2_STREAMS = 16;
export const HAS_H2LOAD = spawnSync('h2load', ['--version']).error === undefined;

async function runH2load(port, durationS) {
  const proc = startProcess('h2load', ['-c', String(H2_CONNECTIONS), '-m', String(H2_STREAMS), '-t', '1', '-D', String(durationS), `http://127.0.0.1:${port}/`], { role: 'load' });
  const { code } = await proc.exited;
  const out = proc.output;
  if (code !== 0) throw new Error(`h2load failed (${code}): ${out.slice(-500)}`);
  const done = /requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(out);
  const mean = /time for request:\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)/.exec(out);
  const meanMs = mean ? Number(mean[1]) * { us: 0.001, ms: 1, s: 1000 }[mean[2]] : NaN;
  return { requests: Number(done?.[2] ?? 0), rps: Number(/finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(out)?.[1] ?? 0), p50Ms: NaN, meanMs, errors: Number(done?.[3] ?? 0) + Number(done?.[4] ?? 0) };
}

async function runNodeH2(port, durationS) {
  const options = { url: `http://127.0.0.1:${port}/`, connections: H2_CONNECTIONS, streams: H2_STREAMS, durationS };
  const proc = startProcess(process.execPath, [fileURLToPath(new URL('../load/h2-load.js', import.meta.url)), JSON.stringify(options)], { role: 'load' });
  const { code } = await proc.exited;
  const line = proc.output.trim().split('\n').at(-1) ?? '';
  if (code !== 0 || !line.startsWith('{')) throw new Error(`h2-load.js failed (${code}): ${proc.output.slice(-500)}`);
  return JSON.parse(line);
}

const median = (values) => {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : NaN;
};

/** Markdown lines: the HTTP/1.1 and HTTP/2 rows of one pre async ×2 server, medians of `rounds`. */
export async function http2Section({ rounds, durationS, generator, log = console.log }) {
  const h2Generator = HAS_H2LOAD ? 'h2load' : 'node:http2 (h2load not installed: apt-get install nghttp2-client)';
  const results = { h1: [], h2: [] };
  for (let round = 1; round <= rounds; round++) {
    const port = await freePort();
    const proc = startProcess(process.execPath, [PRE_BIN, '-k', 'async', '-w', '2', '-b', `127.0.0.1:${port}`, '--log-level', 'debug',
      '--http-protocols', 'h2,h1', '--http2-cleartext', 'prior-knowledge', APP], { cwd: ROOT, env: { PRE_CMD_ARGS: '', WEB_CONCURRENCY: '' } });
    try {
      await waitFor(() => (proc.output.match(/Worker booted/g)?.length ?? 0) >= 2, 'two booted workers', 30_000);
      const h1 = await runLoad(port, { id: 'hello', path: '/', connections: 64 }, durationS, generator);
      const h2 = HAS_H2LOAD ? await runH2load(port, durationS) : await runNodeH2(port, durationS);
      results.h1.push(h1);
      results.h2.push(h2);
      log(`  round ${round} pre async ×2 h2,h1   HTTP/1.1 ${h1.rps.toFixed(0)} req/s   HTTP/2 ${h2.rps.toFixed(0)} req/s (${h2Generator})`);
    } finally {
      await proc.stop();
      await stopAllProcesses();
    }
  }
  const row = (label, list, load) => `| ${label} | ${median(list.map((r) => r.rps)).toFixed(0)} | ${list.reduce((n, r) => n + r.errors, 0)} | ${load} |`;
  return [
    '## HTTP/2 (h2c prior knowledge) against HTTP/1.1, same app, same pre async ×2 server', '',
    `Median of ${rounds} round(s) of ${durationS} s. HTTP/1.1: 64 keep-alive connections (${generator}); HTTP/2: ${H2_CONNECTIONS} connections × ${H2_STREAMS} streams (${h2Generator}).`, '',
    '| protocol | req/s | errors | load |', '| --- | ---: | ---: | --- |',
    row('HTTP/1.1 hello keep-alive ×64', results.h1, generator),
    row(`HTTP/2 hello ${H2_CONNECTIONS} conn × ${H2_STREAMS} streams`, results.h2, h2Generator), '',
  ];
}
