import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { ctlJson } from '../helpers/ctl.js';
import { HELLO, startPre, stopAll, waitFor } from '../helpers/pre.js';

// The accept-queue gauge (Gunicorn's enable_backlog_metric): connections no worker has accepted yet.

const sockets: net.Socket[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await stopAll();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function backlogGauge(metricsUrl: string, url: string): Promise<number | undefined> {
  const text = await (await request(metricsUrl)).body.text();
  const match = new RegExp(`^pre_listen_backlog\\{listener="${url.replace(/[./]/g, '\\$&')}"\\} (\\d+)$`, 'm').exec(text);
  return match ? Number(match[1]) : undefined;
}

describe.runIf(process.platform === 'linux')('listen backlog', () => {
  it('pre_listen_backlog and `pre ctl show stats` count the connections waiting while the only worker is busy, and 0 once it accepts them', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pre-backlog-'));
    dirs.push(dir);
    const socket = path.join(dir, 'pre.ctl');
    const pre = startPre([HELLO, '-b', '127.0.0.1:0', '-w', '1', '--log-level', 'debug', '--prometheus-bind', '127.0.0.1:0', '--control-socket', socket]);
    const url = await pre.ready(1);
    const metricsUrl = (await pre.waitForLog(/Serving Prometheus metrics at: (\S+)/))[1]!;
    expect(await backlogGauge(metricsUrl, url)).toBe(0);

    // Block the worker's event loop for 4 s, then open 5 connections: the kernel queues them.
    const busy = request(`${url}/busy?ms=4000`).then((res) => res.body.text());
    await new Promise((resolve) => setTimeout(resolve, 300));
    const { port } = new URL(url);
    await Promise.all(Array.from({ length: 5 }, () => new Promise<void>((resolve, reject) => {
      const s = net.connect(Number(port), '127.0.0.1', () => resolve());
      s.once('error', reject);
      sockets.push(s);
    })));
    expect(await backlogGauge(metricsUrl, url)).toBe(5);
    const stats = await ctlJson<{ listenBacklog: { url: string; queued: number }[] }>(socket, ['show', 'stats']);
    expect(stats.listenBacklog).toEqual([{ url, queued: 5 }]);

    expect(await busy).toBe('done\n');
    await waitFor(async () => (await backlogGauge(metricsUrl, url)) === 0, 'the worker to accept the queued connections');
  });
});
