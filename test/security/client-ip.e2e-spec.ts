import { randomInt } from 'node:crypto';
import { backends } from '../helpers/backends';
import { expectRateLimited } from '../helpers/problems';
import { useTestApp } from '../helpers/test-app';

const HOUR_S = 3600;

const randomIp = (): string => Array.from({ length: 4 }, () => randomInt(1, 255)).join('.');

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
});
