// @ts-check
// Tells HTTP/2 with prior knowledge from HTTP/1.1 on a fresh connection by its first bytes.
// An h2c client opens with the fixed connection preface (RFC 9113 §3.4); no HTTP/1.1 request can
// start with it, and only a request starting with "P" needs more than one byte to be told apart.

/** @typedef {import('node:net').Socket} Socket */
/** @typedef {'h2' | 'http/1.1'} Protocol */

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/**
 * What the bytes read so far say: a protocol, or null while they are still a strict prefix of the preface.
 * @param {Buffer} seen
 * @returns {Protocol | null}
 */
export function protocolOf(seen) {
  const n = Math.min(seen.length, PREFACE.length);
  if (!seen.subarray(0, n).equals(PREFACE.subarray(0, n))) return 'http/1.1';
  return n === PREFACE.length ? 'h2' : null;
}

/**
 * Reads a connection's first bytes until the protocol is known, puts them back (`unshift`) so the
 * chosen server parses the connection from its first byte, and calls `decided` with the protocol.
 * A connection that closes, or says nothing telling within `deadlineMs`, is destroyed: no server
 * ever sees it (as a node:http server cuts a connection that sends no head within headers_timeout).
 * @param {Socket} socket
 * @param {number} deadlineMs
 * @param {(protocol: Protocol) => void} decided
 * @returns {() => void} cancels the wait and destroys the socket (a stop)
 */
export function sniffProtocol(socket, deadlineMs, decided) {
  /** @type {Buffer[]} */
  const chunks = [];
  const timer = setTimeout(() => abandon(), deadlineMs);
  const done = () => {
    clearTimeout(timer);
    socket.removeListener('readable', onReadable);
    socket.removeListener('close', abandon);
    socket.removeListener('error', abandon);
  };
  const abandon = () => {
    done();
    socket.destroy();
  };
  const onReadable = () => {
    /** @type {Buffer | null} */
    let chunk;
    while ((chunk = socket.read()) !== null) {
      chunks.push(chunk);
      const seen = Buffer.concat(chunks);
      const protocol = protocolOf(seen);
      if (protocol === null) continue;
      done();
      socket.unshift(seen);
      decided(protocol);
      return;
    }
  };
  socket.on('readable', onReadable);
  socket.once('close', abandon);
  socket.once('error', abandon);
  return abandon;
}
