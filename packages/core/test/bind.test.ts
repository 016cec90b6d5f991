import { describe, expect, it } from 'vitest';
import { parseBindAddress } from '../src/listeners/address.js';
import { bindListener } from '../src/listeners/bind.js';

describe('bindListener', () => {
  it('binds an address as given, and a host name through DNS (loaded only then)', async () => {
    for (const [text, host] of [['127.0.0.1:0', '127.0.0.1'], ['localhost:0', '127.0.0.1']] as const) {
      const listener = await bindListener(parseBindAddress(text));
      try {
        expect(listener.info.host).toBe(host);
        expect(listener.info.port).toBeGreaterThan(0);
      } finally {
        listener.close();
      }
    }
  });

  it('names a host name that does not resolve', async () => {
    await expect(bindListener(parseBindAddress('no-such-host.invalid:0'))).rejects.toThrow(/Cannot bind no-such-host\.invalid: the host name does not resolve/);
  });
});
