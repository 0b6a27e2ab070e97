import { connect, type AddressInfo, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestApp } from './test-app';

export interface RawResponse {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: string;
}

/** Starts the test app listening on a free 127.0.0.1 port, for clients that speak TCP themselves. */
export async function listenForRawClients(t: TestApp): Promise<number> {
  await t.app.listen(0, '127.0.0.1');
  return (t.app.getHttpServer().address() as AddressInfo).port;
}

/** A TCP connection to 127.0.0.1:`port`, once it is established. */
export function rawConnect(port: number, { allowHalfOpen = false } = {}): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen }, () => resolve(socket));
    socket.once('error', reject);
  });
}

export interface RawExchangeOptions {
  /** Write the request in pieces of this size, `pauseMs` apart, as over a real network (default: at once). */
  chunkBytes?: number;
  pauseMs?: number;
  /** Give up (reject) when the server has not closed the connection by then. */
  timeoutMs?: number;
}

/**
 * What a plain client does: writes the whole request, whatever the server does meanwhile (a FIN
 * from the server does not stop it, as it does not stop curl or a browser), then reads until the
 * server closes the connection. Rejects on any socket error (EPIPE, ECONNRESET) instead of
 * returning what arrived.
 */
export async function rawExchange(
  port: number,
  request: string | Buffer,
  options: RawExchangeOptions = {},
): Promise<Buffer> {
  const { chunkBytes = Infinity, pauseMs = 0, timeoutMs = 10_000 } = options;
  const socket = await rawConnect(port, { allowHalfOpen: true });
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const closed = new Promise<Buffer>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within ${timeoutMs} ms; got ${Buffer.concat(chunks).length} bytes`));
    }, timeoutMs);
    socket.once('error', (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    });
    socket.once('close', (hadError) => {
      clearTimeout(timer);
      if (!hadError) resolve(Buffer.concat(chunks));
    });
  });
  // Handled by the caller once the writing is done; until then, an early reset is not "unhandled".
  closed.catch(() => undefined);
  const bytes = Buffer.from(request);
  for (let offset = 0; offset < bytes.length && !socket.destroyed; offset += chunkBytes) {
    if (offset > 0) await sleep(pauseMs);
    socket.write(bytes.subarray(offset, offset + chunkBytes));
  }
  if (!socket.destroyed) socket.end();
  return closed;
}

/** The first HTTP/1.1 response in `raw` (framed by Content-Length); fails the test when there is none. */
export function parseRawResponse(raw: Buffer): RawResponse {
  const headEnd = raw.indexOf('\r\n\r\n');
  const [statusLine, ...lines] = raw.toString('latin1', 0, Math.max(headEnd, 0)).split('\r\n');
  const status = /^HTTP\/1\.1 (\d{3}) /.exec(statusLine)?.[1];
  if (headEnd < 0 || !status)
    throw new Error(`not an HTTP/1.1 response: ${JSON.stringify(raw.toString('latin1', 0, 200))}`);
  const headers = Object.fromEntries(
    lines.map((line) => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
    }),
  );
  const bodyStart = headEnd + 4;
  const body = raw.toString('utf8', bodyStart, bodyStart + Number(headers['content-length'] ?? 0));
  return { status: Number(status), headers, body };
}
