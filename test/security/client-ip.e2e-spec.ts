import { randomInt } from 'node:crypto';
import { ROUTES } from '../helpers/api-client';
import { backends, connectTestRedis, keysUnder } from '../helpers/backends';
import { captureAppLog } from '../helpers/log-capture';
import { expectRateLimited } from '../helpers/problems';
import { sessionRowOf } from '../helpers/sessions';
import { requestCode, type SignedIn } from '../helpers/sign-in';
import { useTestApp } from '../helpers/test-app';

const HOUR_S = 3600;

const randomIp = (): string => Array.from({ length: 4 }, () => randomInt(1, 255)).join('.');

/** The test client's own address, as the server's socket sees it. */
const SOCKET_ADDRESS = /^(::ffff:)?127\.0\.0\.1$|^::1$/;

/** X-Forwarded-For values that are not an IP address, as a client behind a pass-through proxy may send. */
const NOT_ADDRESSES: [string, () => string][] = [
  ['46-character (one past the longest IPv6 text)', () => 'ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.2555'],
  ['15 kB', () => `203.0.113.${randomInt(1, 255)}`.padEnd(15_000, 'x')],
  ['long zone-indexed IPv6 (which net.isIP accepts)', () => `fe80::1%${'a'.repeat(60)}`],
];

describe.each(backends())('security: client IP for per-IP limits on %s', (backend) => {
  describe('with TRUST_PROXY=false and OTP_IP_SEND_LIMIT=2', () => {
    const app = useTestApp(backend, { env: { TRUST_PROXY: 'false', OTP_IP_SEND_LIMIT: '2' } });

    it('ignores X-Forwarded-For, so a fresh spoofed address on every request does not dodge the limit', async () => {
      const t = app();
      const send = (phone: string) => t.api.sendOtp(phone).set('X-Forwarded-For', randomIp());

      expect((await send('+12015550150')).status).toBe(200);
      expect((await send('+12015550151')).status).toBe(200);
      expectRateLimited(await send('+12015550152'), HOUR_S);
      expect(t.sms.attempted).toHaveLength(2);
    });
  });

  describe('with TRUST_PROXY=true and OTP_IP_SEND_LIMIT=2', () => {
    const app = useTestApp(backend, { env: { TRUST_PROXY: 'true', OTP_IP_SEND_LIMIT: '2' } });

    it('counts each X-Forwarded-For client separately behind a trusted proxy', async () => {
      const t = app();
      const send = (ip: string, phone: string) => t.api.sendOtp(phone).set('X-Forwarded-For', ip);

      expect((await send('203.0.113.7', '+12015550153')).status).toBe(200);
      expect((await send('203.0.113.7', '+12015550154')).status).toBe(200);
      expect((await send('198.51.100.9', '+12015550155')).status).toBe(200);
      expect((await send('198.51.100.9', '+12015550156')).status).toBe(200);
      expectRateLimited(await send('203.0.113.7', '+12015550157'), HOUR_S);
      expectRateLimited(await send('198.51.100.9', '+12015550158'), HOUR_S);
      expect(t.sms.attempted).toHaveLength(4);
    });
  });

  describe('with TRUST_PROXY naming the proxy (127.0.0.1, the test client) and OTP_IP_SEND_LIMIT=2', () => {
    const app = useTestApp(backend, { env: { TRUST_PROXY: '127.0.0.1', OTP_IP_SEND_LIMIT: '2' } });

    it('takes the address the proxy appended, so a spoofed left-most entry does not dodge the limit', async () => {
      const t = app();
      // An appending proxy: whatever the client sent, then the address the proxy saw.
      const send = (phone: string) => t.api.sendOtp(phone).set('X-Forwarded-For', `${randomIp()}, 203.0.113.7`);

      expect((await send('+12015550159')).status).toBe(200);
      expect((await send('+12015550160')).status).toBe(200);
      expectRateLimited(await send('+12015550162'), HOUR_S);
      expect(t.sms.attempted).toHaveLength(2);

      // Another client behind the same proxy has its own count.
      const other = await t.api.sendOtp('+12015550163').set('X-Forwarded-For', `${randomIp()}, 198.51.100.9`);
      expect(other.status).toBe(200);
    });
  });

  describe('with TRUST_PROXY=true, behind a proxy that passes on whatever the client wrote', () => {
    const app = useTestApp(backend, { env: { TRUST_PROXY: 'true' } });
    let nextPhone = 80;

    it.each(NOT_ADDRESSES)(
      'signs in with a %s X-Forwarded-For and records the socket address as the session ip',
      async (_label, forwardedFor) => {
        const t = app();
        const phone = `+120155501${nextPhone++}`;
        const code = await requestCode(t, phone);

        const res = await t.api.verifyOtp(phone, code).set('X-Forwarded-For', forwardedFor());

        expect(res.status).toBe(200);
        const row = await sessionRowOf(t.db, (res.body as SignedIn).tokens.refresh);
        expect(row.ip).toMatch(SOCKET_ADDRESS);
      },
    );
  });

  describe('with TRUST_PROXY=true and OTP_IP_SEND_LIMIT=2, behind a proxy that passes on whatever the client wrote', () => {
    const app = useTestApp(backend, { env: { TRUST_PROXY: 'true', OTP_IP_SEND_LIMIT: '2' } });

    it('counts every request whose X-Forwarded-For is not an address against the socket address, under a short key', async () => {
      const t = app();
      const send = (phone: string) => t.api.sendOtp(phone).set('X-Forwarded-For', NOT_ADDRESSES[1][1]());

      expect((await send('+12015550164')).status).toBe(200);
      expect((await send('+12015550165')).status).toBe(200);
      expectRateLimited(await send('+12015550166'), HOUR_S);
      expect(t.sms.attempted).toHaveLength(2);

      if (t.redisKeyPrefix) {
        const redis = connectTestRedis();
        try {
          const keys = await keysUnder(redis, t.redisKeyPrefix);
          expect(keys.length).toBeGreaterThan(0);
          expect(keys.filter((key) => key.length > 200)).toEqual([]);
        } finally {
          redis.disconnect();
        }
      }
    });
  });

  describe('with TRUST_PROXY=true and LOG_LEVEL=info', () => {
    const app = useTestApp(backend, { env: { TRUST_PROXY: 'true', LOG_LEVEL: 'info' } });

    it('puts the client address on the request log line masked, never whole', async () => {
      const t = app();
      const logs = captureAppLog(t.app);
      let completed: Record<string, unknown>[];
      try {
        await t.api.sendOtp('+12015550167').set('X-Forwarded-For', '203.0.113.77').expect(200);
        await t.http().get(ROUTES.healthLive).set('X-Forwarded-For', '2001:db8:85a3::8a2e:370:7334').expect(200);
        // The two requests above; the OpenAPI conformance check fetches the document too.
        const ours = (entry: Record<string, unknown>) =>
          entry.msg === 'request completed' && entry.route !== '/api/docs-json';
        completed = await logs.waitFor(ours, 2);
      } finally {
        logs.restore();
      }

      expect(completed.map(({ method, ip }) => ({ method, ip }))).toEqual([
        { method: 'POST', ip: '203.0.x.x' },
        { method: 'GET', ip: '2001:db8:85a3:x:x:x:x:x' },
      ]);
      const text = JSON.stringify(logs.entries);
      expect(text).not.toContain('203.0.113.77');
      expect(text).not.toContain('8a2e:370:7334');
    });
  });
});
