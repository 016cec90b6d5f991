import { describe, expect, it } from 'vitest';
import { parseProcNetTcp } from '../src/metrics/listen-backlog.js';

describe('parseProcNetTcp', () => {
  it('reads the listening sockets with their accept queue, IPv4 and IPv6', () => {
    const tcp = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:1F40 00000000:0000 0A 00000000:00000007 00:00000000 00000000  1000        0 4242 1 0000000000000000 100 0 0 10 0',
      '   1: 0100007F:1F40 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000  1000        0 4343 1 0000000000000000 20 4 30 10 -1',
      '   2: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 11 1 0000000000000000 100 0 0 10 0',
    ].join('\n');
    expect(parseProcNetTcp(tcp)).toEqual([
      { host: '127.0.0.1', port: 8000, queued: 7, inode: '4242' },
      { host: '0.0.0.0', port: 80, queued: 0, inode: '11' },
    ]);
    const tcp6 = [
      '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000003 00:00000000 00000000  1000        0 77 1 0000000000000000 100 0 0 10 0',
      '   1: 0000000000000000FFFF00000100007F:1F91 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 78 1 0000000000000000 100 0 0 10 0',
    ].join('\n');
    expect(parseProcNetTcp(tcp6)).toEqual([
      { host: '::1', port: 8080, queued: 3, inode: '77' },
      { host: '127.0.0.1', port: 8081, queued: 0, inode: '78' },
    ]);
  });
});
