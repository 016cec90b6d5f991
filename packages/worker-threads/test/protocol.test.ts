import type { AccessLogEntry } from '@pre/core';
import { describe, expect, it } from 'vitest';
import { fromWireEntry, toWireEntry } from '../src/protocol.js';

const entry: AccessLogEntry = {
  remoteAddress: '127.0.0.1', method: 'GET', url: '/a?b', httpVersion: '1.1', status: 201, bytes: 12,
  requestHeader: (name) => ({ 'user-agent': 'ua', referer: 'r' })[name],
  responseHeader: (name) => ({ 'content-type': 'text/plain' })[name],
  startTime: 1_700_000_000_000, durationMs: 3.5, pid: 42,
};

describe('access log entries between threads', () => {
  it('carry the headers the format reads, as data, and read back the same', () => {
    const wire = toWireEntry(entry, { request: ['user-agent', 'x-missing'], response: ['content-type'] });
    expect(structuredClone(wire)).toEqual(wire); // crosses postMessage as it is
    expect(wire.requestHeaders).toEqual({ 'user-agent': 'ua', 'x-missing': undefined });
    const back = fromWireEntry(structuredClone(wire));
    const { requestHeader, responseHeader, ...rest } = entry;
    expect(back).toMatchObject(rest);
    expect(back.requestHeader('user-agent')).toBe('ua');
    expect(back.requestHeader('referer')).toBeUndefined(); // not asked for by the format: not sent
    expect(back.responseHeader('content-type')).toBe('text/plain');
  });
});
