import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ControlConnectionError } from '../src/control/client.js';
import { ControlError } from '../src/control/protocol.js';
import { ERROR_CODES, PreError, isPreError } from '../src/errors.js';
import { errorCodesTable } from '../src/errors-table.js';

const page = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');

describe('error codes', () => {
  it('docs/errors.md has the table generated from ERROR_CODES (one source)', () => {
    const table = errorCodesTable();
    expect(page.includes(table), `docs/errors.md must contain exactly this table:\n${table}`).toBe(true);
    const documented = [...page.matchAll(/^\| `(PRE_ERR_[A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented).toEqual(Object.keys(ERROR_CODES));
  });

  it('every code is PRE_ERR_ in upper snake case', () => {
    for (const code of Object.keys(ERROR_CODES)) expect(code).toMatch(/^PRE_ERR_[A-Z]+(?:_[A-Z]+)*$/);
  });

  it("pre ctl's errors are PreErrors with codes from the same union", () => {
    const reply = new ControlError('PRE_ERR_CTL_NO_SUCH_WORKER', 'no worker 1');
    const connect = new ControlConnectionError('cannot connect');
    for (const err of [reply, connect]) {
      expect(err).toBeInstanceOf(PreError);
      expect(isPreError(err)).toBe(true);
      expect(Object.hasOwn(ERROR_CODES, err.code)).toBe(true);
    }
    expect(connect.code).toBe('PRE_ERR_CTL_CONNECT');
    expect(reply.name).toBe('ControlError');
    expect(isPreError(new Error('plain'))).toBe(false);
  });
});
