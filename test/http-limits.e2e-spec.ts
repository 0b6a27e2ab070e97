import { setTimeout as sleep } from 'node:timers/promises';
import { ROUTES } from './helpers/api-client';
import { dialects } from './helpers/databases';
import { listenForRawClients, parseRawResponse, rawConnect, rawExchange, type RawResponse } from './helpers/raw-http';
import { useTestApp } from './helpers/test-app';

/** Asserts a problem document (DESIGN §5) in a response read off the wire, with the security headers. */
function expectRawProblem(res: RawResponse, status: number, code: string, instance: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json\b/);
  expect(JSON.parse(res.body)).toEqual({
    type: `/problems/${code}`,
    title: expect.any(String),
    status,
    detail: expect.any(String),
    code,
    instance,
  });
  expect(res.headers).toMatchObject({ 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' });
  expect(res.headers['content-security-policy']).toContain("default-src 'self'");
}

const requestHead = (path: string, contentLength: number) =>
  `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${contentLength}\r\n\r\n`;

describe.each(dialects())('HTTP limits on %s', (dialect) => {
  describe('with HTTP_REQUEST_TIMEOUT=2s and HTTP_HEADERS_TIMEOUT=1s', () => {
    const app = useTestApp(dialect, { env: { HTTP_REQUEST_TIMEOUT: '2s', HTTP_HEADERS_TIMEOUT: '1s' } });
    let port: number;
    beforeAll(async () => {
      port = await listenForRawClients(app());
    });

    it.each([
      ['its body trickles', requestHead(ROUTES.sendOtp, 100), ' '],
      ['its headers trickle', `GET ${ROUTES.healthLive} HTTP/1.1\r\nHost: localhost\r\n`, 'X-Drip: 1\r\n'],
    ])(
      'closes a connection when %s in a piece a second, instead of holding it open',
      async (_label, start, piece) => {
        const socket = await rawConnect(port);
        const received: Buffer[] = [];
        socket.on('data', (chunk: Buffer) => received.push(chunk));
        socket.on('error', () => undefined);
        const closed = new Promise<'closed'>((resolve) => socket.once('close', () => resolve('closed')));
        socket.write(start);
        const drip = setInterval(() => socket.writable && socket.write(piece), 1000);
        try {
          // Closed after 1–3 s; 8 s only leaves room for a slow machine, it is not a timing test.
          await expect(Promise.race([closed, sleep(8000, 'still open')])).resolves.toBe('closed');
        } finally {
          clearInterval(drip);
          socket.destroy();
        }
        expectRawProblem(parseRawResponse(Buffer.concat(received)), 408, 'bad_request', '/');
      },
      15_000,
    );
  });

  describe('with the default settings', () => {
    const app = useTestApp(dialect);
    let port: number;
    beforeAll(async () => {
      port = await listenForRawClients(app());
    });

    const body = Buffer.from(JSON.stringify({ phone_number: '+12015550190', padding: 'x'.repeat(2 * 1024 * 1024) }));
    const chunked = (data: Buffer, size = 64 * 1024): Buffer[] => {
      const pieces: Buffer[] = [];
      for (let offset = 0; offset < data.length; offset += size) {
        const piece = data.subarray(offset, offset + size);
        pieces.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
      }
      return [...pieces, Buffer.from('0\r\n\r\n')];
    };

    it.each([
      ['with its Content-Length', Buffer.concat([Buffer.from(requestHead(ROUTES.sendOtp, body.length)), body])],
      [
        'chunked',
        Buffer.concat([
          Buffer.from(
            `POST ${ROUTES.sendOtp} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n` +
              'Transfer-Encoding: chunked\r\n\r\n',
          ),
          ...chunked(body),
        ]),
      ],
    ])(
      'answers 413 to each of 20 clients that write a 2 MB body (%s) whole before reading, never a reset',
      async (_label, request) => {
        for (let i = 0; i < 20; i++) {
          // 64 kB every millisecond: the body is still arriving when the server has its answer ready.
          const res = parseRawResponse(await rawExchange(port, request, { chunkBytes: 64 * 1024, pauseMs: 1 }));
          expectRawProblem(res, 413, 'payload_too_large', ROUTES.sendOtp);
        }

        expect(app().sms.attempted).toHaveLength(0);
      },
    );

    it.each([
      ['a malformed request line', 'NOT AN HTTP REQUEST\r\n\r\n', '/'],
      [
        'a malformed header',
        `GET ${ROUTES.profile}?x=1 HTTP/1.1\r\nHost: localhost\r\nNo colon here\r\n\r\n`,
        ROUTES.profile,
      ],
    ])('answers %s with a 400 problem carrying the security headers', async (_label, request, instance) => {
      const res = parseRawResponse(await rawExchange(port, request));

      expectRawProblem(res, 400, 'bad_request', instance);
      expect(res.headers.connection).toBe('close');
    });
  });
});
