import net from 'node:net';
import path from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, freePort, startPre, stopAll } from '../helpers/pre.js';
import { nativeUwsAvailable } from '../helpers/uws.js';

afterEach(stopAll);

const APP = path.join(FIXTURES, 'uws-fetch-api-app.js');


async function startUws(): Promise<string> {
  const pre = startPre([APP, '-k', 'uws', '-b', `127.0.0.1:${await freePort()}`, '--log-level', 'debug']);
  return pre.ready(1);
}

describe.skipIf(!nativeUwsAvailable)('uws: the lazy Request and the light Response', () => {
  it('gives the app a Request that undici accepts: new Request(req), clone(), repeated headers, signal, normalised url', async () => {
    const url = await startUws();
    const port = new URL(url).port;
    const res = await request(`${url}/a/../request?q=a b`, { method: 'PUT', headers: { 'x-multi': ['1', '2'] } });
    expect(res.statusCode).toBe(200);
    const body = (await res.body.json()) as Record<string, unknown>;
    expect(body).toEqual({
      url: `http://127.0.0.1:${port}/request?q=a%20b`,
      method: 'PUT',
      isRequest: true,
      multi: '1, 2',
      copy: { url: `http://127.0.0.1:${port}/request?q=a%20b`, method: 'PUT', multi: '1, 2' },
      cloneUrl: `http://127.0.0.1:${port}/request?q=a%20b`,
      signal: true,
    });
  });

  it('reports the url undici would: dot segments removed, quotes encoded, host lower-cased', async () => {
    const url = await startUws();
    const port = Number(new URL(url).port);
    const socket = net.connect(port, '127.0.0.1');
    socket.write(`GET /a/./../request?q="x" HTTP/1.1\r\nHost: LOCALHOST:${port}\r\nConnection: close\r\n\r\n`);
    let text = '';
    for await (const chunk of socket) text += String(chunk);
    expect(text).toContain(`"url":"http://localhost:${port}/request?q=%22x%22"`);
  });

  it('passes a POST body through new Request(req)', async () => {
    const url = await startUws();
    const res = await request(`${url}/body`, { method: 'POST', body: 'x'.repeat(100_000) });
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe(`POST ${'x'.repeat(100_000)}`);
  });

  it('reads a body whole after it arrived (the socket paused, then resumed): UTF-8 across chunks, BOM dropped, once', async () => {
    const url = await startUws();
    const body = `\ufeff${'é'.repeat(600_000)}xyz`; // ~1.2 MB: many uWS chunks, a 2-byte character split across some
    for (const ms of [0, 300]) {
      const res = await request(`${url}/late-text?ms=${ms}`, { method: 'POST', body });
      expect(res.statusCode).toBe(200);
      expect(await res.body.json()).toEqual({ length: 600_003, head: 'ééé', tail: 'xyz', used: true, second: 'TypeError' });
    }
  });

  it('sends light Responses with their status and headers, and native ones once touched', async () => {
    const url = await startUws();
    const light = await request(`${url}/light`);
    expect(light.statusCode).toBe(201);
    expect(light.headers['x-custom']).toBe('a');
    expect(light.headers['content-type']).toBe('text/plain;charset=UTF-8');
    expect(await light.body.text()).toBe('light');

    const head = await request(`${url}/light`, { method: 'HEAD' });
    expect(head.headers['content-length']).toBe('5');
    await head.body.dump();

    const touched = await request(`${url}/touched`);
    expect([touched.headers['x-a'], touched.headers['x-b']]).toEqual(['1', '2']);
    expect(await touched.body.text()).toBe('touched');

    const empty = await request(`${url}/empty`);
    expect(empty.statusCode).toBe(204);
    await empty.body.dump();

    const kinds = await request(`${url}/kinds`);
    expect(await kinds.body.json()).toEqual({ light: true, native: true, status: 200, ok: true, text: 'x' });

    const bad = await request(`${url}/bad-header`);
    expect(bad.statusCode).toBe(500);
    await bad.body.dump();
  });
});
