import type Redis from 'ioredis';
import request from 'supertest';
import { ROUTES } from './helpers/api-client';
import { backends, connectTestRedis, keysUnder, testRedisUrl, type Backend } from './helpers/backends';
import { latestOtpRow, otpRows } from './helpers/db-rows';
import { eventually } from './helpers/eventually';
import { captureLogs } from './helpers/log-capture';
import { closedPort } from './helpers/loopback';
import { expectProblem } from './helpers/problems';
import { requestCode, signIn } from './helpers/sign-in';
import { TcpProxy } from './helpers/tcp-proxy';
import { useTestApp, type TestApp } from './helpers/test-app';

const withRedis = backends().filter((backend) => backend.endsWith('+redis'));
const suite = withRedis.length ? describe.each(withRedis) : describe.skip.each<Backend>(['sqlite+redis']);

/** Status-only requests for probes, not checked against the OpenAPI document (the readiness tests are). */
const probe = (t: TestApp) => request(t.app.getHttpServer());

/** Asserts the fail-closed answer: 503 service_unavailable with a whole-seconds Retry-After. */
function expectUnavailable(res: Parameters<typeof expectProblem>[0]): void {
  expectProblem(res, 503, 'service_unavailable');
  expect(res.headers['retry-after']).toMatch(/^[1-9]\d*$/);
}

suite('Redis as the shared rate-limit store on %s', (backend) => {
  describe('with Redis reachable', () => {
    const app = useTestApp(backend, { env: { OTP_RESEND_COOLDOWN: '60s' } });
    let redis: Redis;
    beforeAll(() => {
      redis = connectTestRedis();
    });
    afterAll(() => redis?.disconnect());

    it('keeps the per-IP, per-phone and service-wide counters in Redis under REDIS_KEY_PREFIX, each with an expiry', async () => {
      const t = app();
      const phone = '+12015550160';
      await t.api.sendOtp(phone).expect(200);

      const prefix = `${t.redisKeyPrefix}rate:`;
      const keys = await keysUnder(redis, prefix);
      expect(keys.map((key) => key.slice(prefix.length))).toEqual(
        expect.arrayContaining([
          `otp:cooldown:${phone}`,
          `otp:send:hour:${phone}`,
          `otp:send:day:${phone}`,
          'otp:send:budget',
          expect.stringMatching(/^throttle:default:/),
          expect.stringMatching(/^throttle:otp-send:/),
        ]),
      );
      // Expiry is Redis's own: no counter outlives its window, and no process keeps a timer per hit.
      for (const key of keys) expect(await redis.pttl(key)).toBeGreaterThan(0);
      await expect(redis.get(`${prefix}otp:send:hour:${phone}`)).resolves.toBe('1');
    });

    it('answers /health/ready 200 with Redis among the checks', async () => {
      const res = await app().http().get(ROUTES.healthReady).expect(200);
      expect(res.body.details).toHaveProperty('redis.status', 'up');
      expect(res.body.details).toHaveProperty('database.status', 'up');
    });
  });

  describe('with REDIS_URL pointing at a closed port', () => {
    let port: number;
    beforeAll(async () => {
      port = await closedPort();
    });
    const app = useTestApp(backend, () => ({ env: { REDIS_URL: `redis://127.0.0.1:${port}` } }));

    it('still boots and answers /health/live 200, but /health/ready 503', async () => {
      const t = app();
      await t.http().get(ROUTES.healthLive).expect(200);
      const logs = captureLogs(t.app);
      let res: Awaited<ReturnType<ReturnType<TestApp['http']>['get']>>;
      try {
        res = await t.http().get(ROUTES.healthReady);
      } finally {
        logs.restore();
      }

      expectProblem(res, 503, 'service_unavailable');
      expect(res.body).toMatchObject({ detail: 'Not ready: redis unavailable.' });
      expect(res.headers['retry-after']).toBe('5');
      // One line per failed probe, naming the cause, and no stack trace: probes come every few seconds.
      const probeLines = logs.lines.filter((line) => /health|Health/.test(line));
      expect(probeLines).toEqual([expect.stringMatching(/GET \/health\/ready: service_unavailable .*redis/)]);
      expect(logs.lines.join('\n')).not.toMatch(/\n\s+at /);
    });

    it('fails send-otp closed: 503 service_unavailable with Retry-After, no SMS, no code stored', async () => {
      const t = app();
      const phone = '+12015550161';

      const res = await t.api.sendOtp(phone);

      expectUnavailable(res);
      expect(t.sms.attempted).toEqual([]);
      expect(await otpRows(t.db, phone)).toEqual([]);
    });

    it('fails verify-otp closed: 503 service_unavailable with Retry-After, so guessing is never unguarded', async () => {
      for (let i = 0; i < 5; i++) expectUnavailable(await app().api.verifyOtp('+12015550162', '123456'));
    });
  });

  describe('with Redis cut off after boot (through a TCP proxy)', () => {
    let proxy: TcpProxy;
    beforeAll(async () => {
      proxy = await TcpProxy.forUrl(testRedisUrl());
    });
    const app = useTestApp(backend, () => ({ redis: true, env: { REDIS_URL: proxy.urlThrough(testRedisUrl()) } }));
    // After the app's own afterAll: the proxy stays up until the app has closed its connections.
    afterAll(() => proxy?.close());

    it('refuses send-otp and verify-otp with 503 and texts nothing, while the profile and refresh keep working; the code still works once Redis is back', async () => {
      const t = app();
      const { tokens } = await signIn(t, '+12015550163');
      const phone = '+12015550164';
      const code = await requestCode(t, phone);
      const attempted = t.sms.attempted.length;

      proxy.cut();

      expectUnavailable(await t.api.sendOtp(phone));
      expectUnavailable(await t.api.sendOtp('+12015550165'));
      expectUnavailable(await t.api.verifyOtp(phone, code));
      expect(t.sms.attempted).toHaveLength(attempted);
      // The refused verify never reached the code: not counted, not consumed.
      expect(await latestOtpRow(t.db, phone)).toMatchObject({ attempts: 0, consumedAt: null });
      await probe(t).get(ROUTES.healthReady).expect(503);
      const profile = await t.api.profile(tokens.access);
      expect(profile.status).toBe(200);
      expect(profile.body.user.phone_number).toBe('+12015550163');
      await t.api.refresh(tokens.refresh).expect(200);

      proxy.restore();

      await eventually(() => t.api.verifyOtp(phone, code), 200, 8_000);
      await t.http().get(ROUTES.healthReady).expect(200);
    });
  });
});
