import path from 'node:path';
import { Agent, request } from 'undici';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, type TestPki } from '../helpers/certs.js';
import { FIXTURES, HELLO, runPre, startPre, stopAll } from '../helpers/pre.js';

afterEach(stopAll);

describe('TLS', () => {
  let pki: TestPki;
  beforeAll(() => {
    pki = makeTestPki();
  });

  const tlsArgs = () => ['--certfile', pki.serverCert, '--keyfile', pki.serverKey];

  it('serves HTTPS to a client that trusts the test CA; fetch apps see an https URL', async () => {
    const pre = startPre([path.join(FIXTURES, 'fetch-object.js'), '-b', '127.0.0.1:0', '--log-level', 'debug', ...tlsArgs()]);
    const url = await pre.ready();
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const agent = new Agent({ connect: { ca: pki.read(pki.caCert) } });
    const res = await request(`${url}/secure`, { dispatcher: agent });
    expect(JSON.parse(await res.body.text())).toMatchObject({ path: '/secure' });
    const untrusting = await request(`${url}/`).then(() => 'accepted', (err: Error) => err.message);
    expect(untrusting).not.toBe('accepted');
    await agent.close();
  });

  it('requires a client certificate signed by ca_certs with cert_reqs 2', async () => {
    const pre = startPre([HELLO, '-b', '127.0.0.1:0', '--log-level', 'debug', ...tlsArgs(), '--ca-certs', pki.caCert, '--cert-reqs', '2']);
    const url = await pre.ready();
    const anonymous = new Agent({ connect: { ca: pki.read(pki.caCert) } });
    const refused = await request(`${url}/`, { dispatcher: anonymous }).then(async (r) => `status ${r.statusCode}`, (err: Error) => `error ${err.message}`);
    expect(refused).toMatch(/^error/);
    const withCert = new Agent({ connect: { ca: pki.read(pki.caCert), cert: pki.read(pki.clientCert), key: pki.read(pki.clientKey) } });
    const res = await request(`${url}/`, { dispatcher: withCert });
    expect(await res.body.text()).toBe('Hello, World!\n');
    await Promise.all([anonymous.close(), withCert.close()]);
  });

  it('applies the ssl_context hook (minimum TLS 1.3)', async () => {
    const pre = startPre([HELLO, '-b', '127.0.0.1:0', '--log-level', 'debug', ...tlsArgs(), '-c', path.join(FIXTURES, 'tls-hook.config.mjs')]);
    const url = await pre.ready();
    const tls12 = new Agent({ connect: { ca: pki.read(pki.caCert), maxVersion: 'TLSv1.2' } });
    expect(await request(`${url}/`, { dispatcher: tls12 }).then(() => 'accepted', () => 'refused')).toBe('refused');
    const tls13 = new Agent({ connect: { ca: pki.read(pki.caCert) } });
    expect(await (await request(`${url}/`, { dispatcher: tls13 })).body.text()).toBe('Hello, World!\n');
    await Promise.all([tls12.close(), tls13.close()]);
  });

  it('stops at start with the setting named when the key does not match the certificate', async () => {
    const { code, stderr } = await runPre([HELLO, '-b', '127.0.0.1:0', '--certfile', pki.serverCert, '--keyfile', pki.clientKey]);
    expect(code).toBe(1);
    expect(stderr).toContain('Invalid TLS settings (certfile');
    const missing = await runPre([HELLO, '--certfile', pki.serverCert]);
    expect(missing.stderr).toContain("TLS needs both 'certfile' and 'keyfile'");
  });
});
