import path from 'node:path';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, startPre, stopAll } from '../helpers/pre.js';

afterEach(stopAll);

const APP = path.join(FIXTURES, 'threads-app.js');
const READY = ['-b', '127.0.0.1:0', '--log-level', 'debug', '-k', 'threads'];

interface Info {
  pid: number;
  thread: number;
}

async function info(url: string, dispatcher?: Agent): Promise<Info> {
  const res = await request(`${url}/info`, dispatcher ? { dispatcher } : {});
  expect(res.statusCode).toBe(200);
  return (await res.body.json()) as Info;
}

/** Reads a body to the end; resolves with the error that cut it short, or null. */
async function drainBody(body: AsyncIterable<unknown>): Promise<Error | null> {
  try {
    for await (const _ of body);
    return null;
  } catch (err) {
    return err as Error;
  }
}

const bootCount = (stderr: string): number => stderr.match(/Booting worker with pid/g)?.length ?? 0;

describe('threads worker: hung and crashed threads, graceful stop', () => {
  it('terminates and replaces a thread stuck in a request for `timeout`: 503 before headers, closed after; the process serves on', async () => {
    const pre = startPre([APP, ...READY, '--threads', '2', '--timeout', '2']);
    const url = await pre.ready(1);
    const [pid] = pre.bootedWorkers();
    const agent = new Agent({ connections: 4 });

    // Headers first, then an endless loop: once we have them, that thread is stuck.
    const started = await request(`${url}/hang-after-headers`, { dispatcher: agent });
    expect(started.statusCode).toBe(200);
    for (let i = 0; i < 3; i++) expect(await info(url, agent)).toMatchObject({ pid });
    expect(await drainBody(started.body)).not.toBeNull(); // the connection is closed when the thread goes
    await pre.waitForLog(/THREAD TIMEOUT \(pid: \d+, thread \d\): "GET \/hang-after-headers" kept the thread busy for more than 2s; its connection is closed/);

    // Stuck before any header: the client gets a 503.
    const hung = await request(`${url}/hang`, { dispatcher: agent });
    expect(hung.statusCode).toBe(503);
    expect(await hung.body.text()).toMatch(/^Service Unavailable/);
    await pre.waitForLog(/THREAD TIMEOUT \(pid: \d+, thread \d\): "GET \/hang" kept the thread busy for more than 2s; its client got a 503/);

    await pre.waitForLog(/Thread \d of worker \(pid: \d+\) replaced[\s\S]*Thread \d of worker \(pid: \d+\) replaced/);
    for (let i = 0; i < 6; i++) expect(await info(url)).toMatchObject({ pid });
    expect(bootCount(pre.stderr)).toBe(1); // the worker process was never replaced
    await agent.close();
  });

  it('replaces a thread that crashes; the process serves on', async () => {
    const pre = startPre([APP, ...READY, '--threads', '2']);
    const url = await pre.ready(1);
    const [pid] = pre.bootedWorkers();
    await expect(request(`${url}/crash`).then((res) => res.body.text())).rejects.toThrow();
    await pre.waitForLog(/Thread \d of worker \(pid: \d+\) crashed: Error: this thread crashes on purpose/);
    await pre.waitForLog(/Thread \d of worker \(pid: \d+\) replaced/);
    for (let i = 0; i < 4; i++) expect(await info(url)).toMatchObject({ pid });
    expect(bootCount(pre.stderr)).toBe(1);
  });

  it('drains every thread on TERM: requests in flight on both threads complete, then the worker exits 0', async () => {
    const pre = startPre([APP, ...READY, '--threads', '2']);
    const url = await pre.ready(1);
    const agent = new Agent({ connections: 2 });
    // One thread blocked in CPU work, the other one waiting on a timer; both have sent their headers.
    const spinning = await request(`${url}/spin?ms=1500`, { dispatcher: agent });
    const slept = await request(`${url}/slow?ms=1500&flush`, { dispatcher: agent });
    pre.signal('SIGTERM');
    const [a, b] = (await Promise.all([spinning.body.json(), slept.body.json()])) as Info[];
    expect(spinning.statusCode).toBe(200);
    expect(slept.statusCode).toBe(200);
    expect(a!.thread).not.toBe(b!.thread);
    expect((await pre.exited).code).toBe(0);
    expect(pre.stderr).toMatch(/Worker exiting \(pid: \d+\)/);
    await agent.close();
  });
});
