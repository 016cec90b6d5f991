import type { OutputStream } from './log-format.js';

/** Where captured lines go: ErrorLog.captured. */
export interface OutputCapturer {
  captured(stream: OutputStream, line: string): void;
}

/** A line longer than this is written in pieces rather than held (an app printing without newlines). */
const MAX_PARTIAL_CHARS = 64 * 1024;

type WriteCallback = (err?: Error | null) => void;

/**
 * `capture_output`: what this process writes through `process.stdout` and `process.stderr` (console.log,
 * console.error, and worker threads' output, which Node pipes into them) becomes error log lines: stdout
 * as INFO, stderr as ERROR, one per line. Returns a function that writes out an unfinished last line
 * (for exits). Output written straight to fd 1 or 2 by native code is not seen.
 */
export function captureOutput(log: OutputCapturer): () => void {
  const flushers = [capture(process.stdout, 'stdout', log), capture(process.stderr, 'stderr', log)];
  return () => {
    for (const flush of flushers) flush();
  };
}

function capture(stream: NodeJS.WriteStream, name: OutputStream, log: OutputCapturer): () => void {
  let partial = '';
  const emit = (text: string): void => {
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      const line = partial + text.slice(start, nl);
      partial = '';
      log.captured(name, line.endsWith('\r') ? line.slice(0, -1) : line);
      start = nl + 1;
    }
    partial += text.slice(start);
    if (partial.length > MAX_PARTIAL_CHARS) {
      log.captured(name, partial);
      partial = '';
    }
  };
  const write = (chunk: unknown, encoding?: BufferEncoding | WriteCallback, callback?: WriteCallback): boolean => {
    const done = typeof encoding === 'function' ? encoding : callback;
    const charset = typeof encoding === 'string' ? encoding : undefined;
    try {
      emit(typeof chunk === 'string' ? (charset === undefined || charset === 'utf8' ? chunk : Buffer.from(chunk, charset).toString('utf8')) : Buffer.from(chunk as Uint8Array).toString('utf8'));
    } catch {
      // A chunk that is neither text nor bytes: Node's own write would have thrown; drop it here.
    }
    if (done) process.nextTick(done);
    return true;
  };
  stream.write = write as NodeJS.WriteStream['write'];
  return () => {
    if (partial === '') return;
    const line = partial;
    partial = '';
    log.captured(name, line);
  };
}
