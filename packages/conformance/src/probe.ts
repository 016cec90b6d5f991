/**
 * Before the cases: which app shape the class serves (node listeners, or fetch handlers only), and
 * whether it answers HTTP/1.1 at all (an h2c-only class does not: the kit says so once per case).
 */
import { fileURLToPath } from 'node:url';
import type { KitOptions } from './options.js';
import { RawConnection } from './raw-connection.js';
import { PreServer } from './server.js';
import { preview } from './http-response.js';

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

export const BUNDLED = {
  echoNode: here('./echo/node.js'),
  echoFetch: here('./echo/fetch.js'),
  kitApp: here('./fixtures/kit-app.js'),
  fixtures: fileURLToPath(new URL('../fixtures/', import.meta.url)),
};

export interface ProbeResult {
  shape: 'node' | 'fetch';
  noHttp1: string | null;
  /** Set when the class started with neither shape. */
  startError: string | null;
}

/** A plain GET answered with an HTTP/1.x 200: true, or what happened. */
export async function normalRequestAnswered(port: number, localAddress?: string): Promise<true | string> {
  let connection: RawConnection | null = null;
  try {
    connection = await RawConnection.open(port, localAddress ? { localAddress } : {});
    connection.write('GET /__kit/normal HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    const read = await connection.readResponse(5_000);
    if (read.response?.status === 200) return true;
    return read.response ? read.response.statusLine : `${read.problem}${read.bytes?.length ? ` ${preview(read.bytes)}` : ''}`;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    connection?.destroy();
  }
}

export async function probeClass(options: KitOptions): Promise<ProbeResult> {
  const errors: string[] = [];
  for (const shape of ['node', 'fetch'] as const) {
    let server: PreServer;
    try {
      server = await PreServer.start(options, { app: shape === 'node' ? BUNDLED.kitApp : `${BUNDLED.kitApp}:fetchApp` });
    } catch (err) {
      errors.push(`${shape} app: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    try {
      const answered = await normalRequestAnswered(server.port);
      return { shape, noHttp1: answered === true ? null : `no HTTP/1.1 answer to a plain GET: ${answered}`, startError: null };
    } finally {
      await server.stop();
    }
  }
  return { shape: 'node', noHttp1: null, startError: errors.join(' / ') };
}

export function echoAppFor(options: KitOptions, shape: 'node' | 'fetch'): string {
  if (options.app) return options.app;
  return shape === 'node' ? BUNDLED.echoNode : BUNDLED.echoFetch;
}

export function kitAppFor(shape: 'node' | 'fetch'): string {
  return shape === 'node' ? BUNDLED.kitApp : `${BUNDLED.kitApp}:fetchApp`;
}
