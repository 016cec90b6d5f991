import { formatResult } from './format.js';
import type { ControlResponse } from './protocol.js';

/** Prints a reply (human or `--json`) and returns the exit code: 0 for a result, 2 for an unknown command, 1 for any other error reply. */
export function printResponse(command: readonly string[], response: ControlResponse, json: boolean): number {
  if (response.ok) {
    process.stdout.write(`${json ? JSON.stringify(response.result, null, 2) : formatResult(command, response.result)}\n`);
    return 0;
  }
  if (json) process.stdout.write(`${JSON.stringify({ error: response.error }, null, 2)}\n`);
  else process.stderr.write(`Error: ${response.error.message} (${response.error.code})\n`);
  return response.error.code === 'PRE_ERR_CTL_UNKNOWN_COMMAND' ? 2 : 1; // a bad command is bad usage (see pre ctl --help)
}
