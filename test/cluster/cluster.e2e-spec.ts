import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  PublicKeyCredentialCreationOptionsJSON as CreationOptions,
  PublicKeyCredentialRequestOptionsJSON as RequestOptions,
} from '@simplewebauthn/server';
import { Secret, TOTP } from 'otpauth';
import { Client } from 'pg';
import { ROUTES } from '../helpers/api-client';
import { deleteRedisPrefix, productionBackendsAvailable, testRedisUrl, uniqueRedisPrefix } from '../helpers/backends';
import { createTestDatabase, type TestDatabase } from '../helpers/databases';
import { eventually } from '../helpers/eventually';
import { wrongCode } from '../helpers/sign-in';
import { SoftAuthenticator } from '../helpers/soft-authenticator';
import { TcpProxy } from '../helpers/tcp-proxy';
import { AppProcess, type Answer } from './app-process';
import { buildApp, type BuiltApp } from './build';
import { SmsGateway } from './sms-gateway';

/**
 * Issue 5: two instances of the built app behind no load balancer at all, on one PostgreSQL
 * database and one Redis prefix. Whatever protects users must hold whichever instance a request
 * lands on. Each instance reaches the database through a TCP proxy of its own, so one can lose it.
 */
const SHUTDOWN_TIMEOUT_MS = 10_000;

const secret = () => randomBytes(32).toString('hex');
const METRICS_TOKEN = secret();
/** The page the passkey ceremonies run on; http is allowed in production on localhost only. */
const PASSKEY_ORIGIN = 'http://localhost:3000';

let nextPhone = 3000;
/** A fresh valid number per call (+12015553000, …). */
const freshPhone = () => `+1201555${nextPhone++}`;
let nextIp = 1;
/** A client address of its own per call, so no test meets another's per-IP limits. */
const freshIp = () => `198.51.100.${nextIp++}`;

function expectProblem(res: Answer, status: number, code: string): void {
  expect({ status: res.status, code: res.body?.code }).toEqual({ status, code });
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
}

/** Sends a code through `app` from a fresh IP and returns it as the gateway received it. */
async function sendCode(app: AppProcess, gateway: SmsGateway, phone: string, ip = freshIp()): Promise<string> {
  const res = await app.call('POST', ROUTES.sendOtp, { body: { phone_number: phone }, ip });
  expect({ status: res.status, body: res.body }).toMatchObject({ status: 200 });
  return gateway.codeFor(phone);
}

interface Tokens {
  access: string;
  refresh: string;
}

async function signIn(send: AppProcess, verify: AppProcess, gateway: SmsGateway, phone: string): Promise<Tokens> {
  const code = await sendCode(send, gateway, phone);
  const res = await verify.call('POST', ROUTES.verifyOtp, {
    body: { phone_number: phone, otp_code: code },
    ip: freshIp(),
  });
  expect(res.status).toBe(200);
  return res.body!.tokens as Tokens;
}

/** A GET on a connection of its own (no keep-alive pool): does the process still accept new ones? */
function freshConnection(url: string): Promise<number | 'refused'> {
  return new Promise((resolve) => {
    const req = httpRequest(`${url}${ROUTES.healthLive}`, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve('refused'));
    req.end();
  });
}

/** A sample's value from Prometheus text, 0 when absent. */
function sample(metrics: string, name: string, labels: Record<string, string> = {}): number {
  const total = metrics
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .filter((line) => Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`)))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  return total;
}

const suite = productionBackendsAvailable() ? describe : describe.skip;

suite('two instances on one PostgreSQL and one Redis', () => {
  let built: BuiltApp;
  let database: TestDatabase;
  let db: Client;
  const redisPrefix = uniqueRedisPrefix();
  const proxies: TcpProxy[] = [];
  let gateway: SmsGateway;
  let a: AppProcess;
  let b: AppProcess;

  beforeAll(async () => {
    built = await buildApp();
    database = await createTestDatabase('postgres');
    db = new Client({ connectionString: database.url });
    await db.connect();
    gateway = await SmsGateway.start();
    const env = {
      NODE_ENV: 'production',
      REDIS_URL: testRedisUrl(),
      REDIS_KEY_PREFIX: redisPrefix,
      JWT_SECRET: secret(),
      OTP_SECRET: secret(),
      MFA_ENCRYPTION_KEY: secret(),
      SMS_PROVIDER: 'webhook',
      SMS_WEBHOOK_URL: gateway.url,
      SMS_WEBHOOK_SECRET: secret(),
      METRICS_TOKEN,
      TRUST_PROXY: 'true',
      LOG_LEVEL: 'info',
      DATABASE_POOL_SIZE: '5',
      DATABASE_CONNECT_TIMEOUT: '1s',
      OTP_RESEND_COOLDOWN: '1s',
      OTP_PHONE_SEND_LIMIT: '2',
      OTP_IP_SEND_LIMIT: '4',
      REFRESH_REUSE_GRACE: '0s',
      THROTTLE_LIMIT: '10000',
      SHUTDOWN_TIMEOUT: `${SHUTDOWN_TIMEOUT_MS / 1000}s`,
      WEBAUTHN_RP_ID: 'localhost',
      WEBAUTHN_ORIGINS: PASSKEY_ORIGIN,
    };
    for (let i = 0; i < 2; i++) proxies.push(await TcpProxy.forUrl(database.url));
    // Both at once on the empty database: the migration lock decides who migrates.
    a = AppProcess.start('a', built.main, { ...env, DATABASE_URL: proxies[0].urlThrough(database.url) });
    b = AppProcess.start('b', built.main, { ...env, DATABASE_URL: proxies[1].urlThrough(database.url) });
    await Promise.all([a.ready(), b.ready()]);
  }, 120_000);

  afterAll(async () => {
    await AppProcess.killAll();
    await Promise.all(proxies.map((proxy) => proxy.close()));
    await gateway?.close();
    await db?.end();
    await database?.drop();
    await deleteRedisPrefix(redisPrefix);
    built?.remove();
  }, 30_000);

  afterEach(() => {
    proxies.forEach((proxy) => proxy.restore());
    gateway.delayMs = 0;
  });

  it('boots both on an empty database at once: each migration ran exactly once and both are ready', async () => {
    const { rows } = await db.query<{ name: string }>('SELECT name FROM migrations ORDER BY id');
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((row) => row.name)).size).toBe(rows.length);
    expect(a.url).not.toBe(b.url);
    expect((await a.call('GET', ROUTES.healthReady)).status).toBe(200);
    expect((await b.call('GET', ROUTES.healthReady)).status).toBe(200);
  });

  describe('one set of rules, whichever instance answers', () => {
    it('verifies through B a code sent through A', async () => {
      const phone = freshPhone();
      const code = await sendCode(a, gateway, phone);

      const res = await b.call('POST', ROUTES.verifyOtp, {
        body: { phone_number: phone, otp_code: code },
        ip: freshIp(),
      });

      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ user: { phone_number: phone }, is_new_user: true });
    });

    it('holds the resend cooldown across A and B: an immediate resend through B gets otp_resend_too_soon and no SMS', async () => {
      const phone = freshPhone();
      await sendCode(a, gateway, phone);

      const res = await b.call('POST', ROUTES.sendOtp, { body: { phone_number: phone }, ip: freshIp() });

      expectProblem(res, 429, 'otp_resend_too_soon');
      expect(res.headers.get('retry-after')).toBe('1');
      expect(gateway.countFor(phone)).toBe(1);
    });

    it('holds the per-phone cap across A and B (OTP_PHONE_SEND_LIMIT=2): the third send, wherever it lands, is refused', async () => {
      const phone = freshPhone();
      await sendCode(a, gateway, phone);
      await sleep(1_100);
      await sendCode(b, gateway, phone);
      await sleep(1_100);

      const third = await a.call('POST', ROUTES.sendOtp, { body: { phone_number: phone }, ip: freshIp() });
      const fourth = await b.call('POST', ROUTES.sendOtp, { body: { phone_number: phone }, ip: freshIp() });

      expectProblem(third, 429, 'rate_limited');
      expectProblem(fourth, 429, 'rate_limited');
      expect(gateway.countFor(phone)).toBe(2);
    });

    it('signs in once when one code is verified in parallel on A and B', async () => {
      const phone = freshPhone();
      const code = await sendCode(a, gateway, phone);
      const ip = freshIp();

      const answers = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          (i % 2 ? b : a).call('POST', ROUTES.verifyOtp, { body: { phone_number: phone, otp_code: code }, ip }),
        ),
      );

      expect(answers.filter((res) => res.status === 200)).toHaveLength(1);
      for (const res of answers.filter((r) => r.status !== 200)) {
        expect(['otp_invalid', 'otp_attempts_exceeded']).toContain(res.body?.code);
      }
      const { rows } = await db.query(
        'SELECT s.id FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.phone_number = $1',
        [phone],
      );
      expect(rows).toHaveLength(1);
    });

    it('gives a number two users race to claim, on A and on B, to exactly one; the other gets 409', async () => {
      const [alice, bob] = [freshPhone(), freshPhone()];
      const aliceTokens = await signIn(a, b, gateway, alice);
      const bobTokens = await signIn(b, a, gateway, bob);
      const wanted = freshPhone();
      const requestChange = (app: AppProcess, token: string) =>
        app.call('POST', ROUTES.phoneChange, { body: { new_phone_number: wanted }, token, ip: freshIp() });
      expect((await requestChange(a, aliceTokens.access)).status).toBe(200);
      const alicesCode = gateway.codeFor(wanted);
      await sleep(1_100); // OTP_RESEND_COOLDOWN holds for the new number whoever asks.
      expect((await requestChange(b, bobTokens.access)).status).toBe(200);
      const bobsCode = gateway.codeFor(wanted);

      const verifyChange = (app: AppProcess, token: string, code: string) =>
        app.call('POST', ROUTES.phoneChangeVerify, { body: { new_phone_number: wanted, otp_code: code }, token });
      const answers = await Promise.all([
        verifyChange(a, aliceTokens.access, alicesCode),
        verifyChange(b, bobTokens.access, bobsCode),
      ]);

      expect(answers.map((res) => res.status).sort()).toEqual([200, 409]);
      expectProblem(
        answers.find((res) => res.status === 409)!,
        409,
        'phone_number_in_use',
      );
      const userIdOf = (res: Answer) => (res.body?.user as { id: number } | undefined)?.id;
      const { rows } = await db.query('SELECT id FROM users WHERE phone_number = $1', [wanted]);
      expect(rows).toEqual([{ id: userIdOf(answers.find((res) => res.status === 200)!) }]);
      // The winner's old number was told; the loser's was not.
      const winnerOld = answers[0].status === 200 ? alice : bob;
      expect(gateway.notices.filter((to) => to === alice || to === bob)).toEqual([winnerOld]);
    });

    it('spends one TOTP code once when two recoveries race it on A and B, and one recovery code once across 6 sign-in completions', async () => {
      const phone = freshPhone();
      const { access } = await signIn(a, b, gateway, phone);
      const enrolled = await a.call('POST', ROUTES.mfaTotp, { token: access });
      const secret = Secret.fromBase32((enrolled.body as { secret: string }).secret);
      const activated = await b.call('POST', ROUTES.mfaTotpVerify, {
        body: { code: TOTP.generate({ secret }) },
        token: access,
      });
      const [recoveryCode] = (activated.body as { recovery_codes: string[] }).recovery_codes;

      // The activation spent this step's code; the next step's is accepted too (clock drift) and is unused.
      const totpCode = TOTP.generate({ secret, timestamp: Date.now() + 30_000 });
      const recover = (app: AppProcess) =>
        app.call('POST', ROUTES.recovery, {
          body: { phone_number: phone, new_phone_number: freshPhone(), totp_code: totpCode },
          ip: freshIp(),
        });
      const recoveries = await Promise.all([recover(a), recover(b)]);
      expect(recoveries.map((res) => res.status).sort()).toEqual([200, 400]);

      await sleep(1_100); // OTP_RESEND_COOLDOWN
      const verified = await b.call('POST', ROUTES.verifyOtp, {
        body: { phone_number: phone, otp_code: await sendCode(a, gateway, phone) },
        ip: freshIp(),
      });
      const { mfa_token } = verified.body as { mfa_token: string };
      const completions = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          (i % 2 ? b : a).call('POST', ROUTES.mfaChallenge, {
            body: { mfa_token, recovery_code: recoveryCode },
            ip: freshIp(),
          }),
        ),
      );
      expect(completions.filter((res) => res.status === 200)).toHaveLength(1);
      for (const res of completions.filter((r) => r.status !== 200)) {
        expect(['otp_invalid', 'mfa_token_invalid']).toContain(res.body?.code);
      }
      const { rows } = await db.query(
        `SELECT COUNT(*)::int AS used FROM recovery_codes r JOIN users u ON u.id = r.user_id
         WHERE u.phone_number = $1 AND r.used_at IS NOT NULL`,
        [phone],
      );
      expect(rows).toEqual([{ used: 1 }]);
    });

    it('finishes on A a passkey registration begun on B, and on B a passkey sign-in begun on A, once', async () => {
      const phone = freshPhone();
      const { access } = await signIn(a, b, gateway, phone);
      const authenticator = new SoftAuthenticator();

      const creation = await b.call('POST', ROUTES.passkeyRegisterOptions, { body: {}, token: access });
      expect(creation.status).toBe(200);
      const registration = authenticator.register(creation.body as unknown as CreationOptions, PASSKEY_ORIGIN);
      const registered = await a.call('POST', ROUTES.passkeyRegisterVerify, {
        body: { name: 'Laptop', response: registration },
        token: access,
      });
      expect({ status: registered.status, body: registered.body }).toMatchObject({
        status: 201,
        body: { name: 'Laptop', last_used_at: null },
      });

      const request = await a.call('POST', ROUTES.passkeyLoginOptions, { body: {}, ip: freshIp() });
      expect(request.status).toBe(200);
      const assertion = authenticator.assert(request.body as unknown as RequestOptions, PASSKEY_ORIGIN);
      const signedIn = await b.call('POST', ROUTES.passkeyLoginVerify, {
        body: { response: assertion },
        ip: freshIp(),
      });

      expect({ status: signedIn.status, body: signedIn.body }).toMatchObject({
        status: 200,
        body: { message: 'Authentication successful', user: { phone_number: phone }, is_new_user: false },
      });
      expect((await a.call('GET', ROUTES.profile, { token: (signedIn.body!.tokens as Tokens).access })).status).toBe(
        200,
      );
      // The challenge was spent on B: the same answer on A is refused.
      const replay = await a.call('POST', ROUTES.passkeyLoginVerify, { body: { response: assertion }, ip: freshIp() });
      expectProblem(replay, 401, 'passkey_rejected');
      const { rows } = await db.query(
        `SELECT p.credential_id, p.counter::int AS counter, p.last_used_at IS NOT NULL AS used FROM passkeys p
         JOIN users u ON u.id = p.user_id WHERE u.phone_number = $1`,
        [phone],
      );
      expect(rows).toEqual([{ credential_id: registration.id, counter: 1, used: true }]);
    });

    it('detects on B a refresh token already rotated on A, and revokes the session', async () => {
      const first = await signIn(a, b, gateway, freshPhone());
      const rotated = await a.call('POST', ROUTES.refresh, { body: { refresh: first.refresh } });
      expect(rotated.status).toBe(200);

      const replay = await b.call('POST', ROUTES.refresh, { body: { refresh: first.refresh } });

      expectProblem(replay, 401, 'refresh_token_reused');
      // The whole session is gone: even the newest tokens stop working, on either instance.
      expect(
        (await a.call('POST', ROUTES.refresh, { body: { refresh: rotated.body!.refresh as string } })).status,
      ).toBe(401);
      expect((await b.call('GET', ROUTES.profile, { token: rotated.body!.access as string })).status).toBe(401);
    });

    it('rejects on B an access token whose session was logged out on A', async () => {
      const tokens = await signIn(b, a, gateway, freshPhone());
      expect((await b.call('GET', ROUTES.profile, { token: tokens.access })).status).toBe(200);

      expect((await a.call('POST', ROUTES.logout, { body: { refresh: tokens.refresh } })).status).toBe(204);

      expectProblem(await b.call('GET', ROUTES.profile, { token: tokens.access }), 401, 'unauthorized');
    });

    it('lets a stranger lock no one out: 20 guesses across A and B for a number with no code, then its owner signs in', async () => {
      const phone = freshPhone();
      const stranger = freshIp();
      for (let guess = 0; guess < 20; guess++) {
        const app = guess % 2 ? b : a;
        const res = await app.call('POST', ROUTES.verifyOtp, {
          body: { phone_number: phone, otp_code: String(100_000 + guess) },
          ip: stranger,
        });
        expectProblem(res, 400, 'otp_invalid');
      }

      await signIn(a, b, gateway, phone);
    });

    it('lets the owner sign in with the next code after a stranger burned the live one across A and B', async () => {
      const phone = freshPhone();
      const stranger = freshIp();
      const burned = await sendCode(a, gateway, phone, stranger);
      for (let guess = 0; guess < 5; guess++) {
        const res = await (guess % 2 ? b : a).call('POST', ROUTES.verifyOtp, {
          body: { phone_number: phone, otp_code: wrongCode(burned) },
          ip: stranger,
        });
        expectProblem(res, 400, 'otp_invalid');
      }
      await sleep(1_100); // OTP_RESEND_COOLDOWN

      await signIn(b, a, gateway, phone);
    });

    it('refuses on B a logout with a refresh token rotated out on A: 401, that session revoked, the others untouched', async () => {
      const phone = freshPhone();
      const other = await signIn(a, b, gateway, phone);
      await sleep(1_100); // OTP_RESEND_COOLDOWN
      const stale = await signIn(b, a, gateway, phone);
      const rotated = await a.call('POST', ROUTES.refresh, { body: { refresh: stale.refresh } });
      expect(rotated.status).toBe(200);

      const logout = await b.call('POST', ROUTES.logout, { body: { refresh: stale.refresh, scope: 'global' } });

      expectProblem(logout, 401, 'refresh_token_reused');
      expect((await a.call('GET', ROUTES.profile, { token: rotated.body!.access as string })).status).toBe(401);
      expect((await b.call('GET', ROUTES.profile, { token: other.access })).status).toBe(200);
    });

    it('counts one client’s send-otp requests to A and B against one per-IP limit (OTP_IP_SEND_LIMIT=4)', async () => {
      const ip = freshIp();
      for (const app of [a, b, a, b]) {
        expect((await app.call('POST', ROUTES.sendOtp, { body: { phone_number: freshPhone() }, ip })).status).toBe(200);
      }

      const fifth = await a.call('POST', ROUTES.sendOtp, { body: { phone_number: freshPhone() }, ip });
      const sixth = await b.call('POST', ROUTES.sendOtp, { body: { phone_number: freshPhone() }, ip });

      expectProblem(fifth, 429, 'rate_limited');
      expectProblem(sixth, 429, 'rate_limited');
      expect(Number(fifth.headers.get('retry-after'))).toBeGreaterThan(0);
      // Another client is not affected.
      expect(
        (await a.call('POST', ROUTES.sendOtp, { body: { phone_number: freshPhone() }, ip: freshIp() })).status,
      ).toBe(200);
    });
  });

  describe('health probes', () => {
    it('answers /health/live and /health/ready 200 on both', async () => {
      for (const app of [a, b]) {
        expect((await app.call('GET', ROUTES.healthLive)).status).toBe(200);
        expect((await app.call('GET', ROUTES.healthReady)).status).toBe(200);
      }
    });

    it('takes only A out of rotation while A cannot reach the database: ready 503 on A, 200 on B, live 200, back on its own', async () => {
      proxies[0].cut();

      expect((await a.call('GET', ROUTES.healthReady)).status).toBe(503);
      expect((await a.call('GET', ROUTES.healthLive)).status).toBe(200);
      expect((await b.call('GET', ROUTES.healthReady)).status).toBe(200);
      const send = await a.call('POST', ROUTES.sendOtp, { body: { phone_number: freshPhone() }, ip: freshIp() });
      expectProblem(send, 503, 'service_unavailable');
      expect(send.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
      expect(send.text).not.toMatch(/\n\s+at |node_modules|ECONN|terminated/);

      proxies[0].restore();

      await eventually(() => a.call('GET', ROUTES.healthReady), 200);
      await eventually(
        () => a.call('POST', ROUTES.sendOtp, { body: { phone_number: freshPhone() }, ip: freshIp() }),
        200,
      );
    });
  });

  describe('structured logs', () => {
    it('writes only JSON lines to stdout, one "request completed" per request with reqId, method, route, status and durationMs', async () => {
      await a.call('GET', ROUTES.healthLive);
      await sleep(100);

      for (const app of [a, b]) {
        const completed = app.jsonLogs().filter((line) => line.msg === 'request completed');
        expect(completed.length).toBeGreaterThan(0);
        for (const line of completed) {
          expect(line).toMatchObject({
            level: expect.any(Number),
            time: expect.any(String),
            reqId: expect.any(String),
            method: expect.stringMatching(/^[A-Z]+$/),
            route: expect.any(String),
            status: expect.any(Number),
            durationMs: expect.any(Number),
          });
        }
      }
      const sends = a.jsonLogs().filter((line) => line.msg === 'request completed' && line.method === 'POST');
      expect(sends.map((line) => line.route)).toContain('/api/auth/send-otp');
    });

    it('echoes an incoming X-Request-Id and logs it; makes one up when there is none', async () => {
      const id = `cluster-${randomBytes(8).toString('hex')}`;
      const given = await b.call('GET', ROUTES.healthLive, { headers: { 'X-Request-Id': id } });
      const made = await b.call('GET', ROUTES.healthLive);
      await sleep(100);

      expect(given.headers.get('x-request-id')).toBe(id);
      expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      const logged = b.jsonLogs().filter((line) => line.msg === 'request completed');
      expect(logged).toContainEqual(expect.objectContaining({ reqId: id, route: '/health/live', status: 200 }));
      expect(logged).toContainEqual(expect.objectContaining({ reqId: made.headers.get('x-request-id') }));
    });

    it('logs no code, no token and no unmasked phone number during a whole sign-in, across both instances', async () => {
      const phone = freshPhone();
      const logsBefore = { a: a.stdout.length + a.stderr.length, b: b.stdout.length + b.stderr.length };
      const code = await sendCode(a, gateway, phone);
      const wrong = wrongCode(code);
      await b.call('POST', ROUTES.verifyOtp, { body: { phone_number: phone, otp_code: wrong }, ip: freshIp() });
      const verified = await b.call('POST', ROUTES.verifyOtp, {
        body: { phone_number: phone, otp_code: code },
        ip: freshIp(),
      });
      const tokens = verified.body!.tokens as Tokens;
      await a.call('GET', ROUTES.profile, { token: tokens.access });
      await b.call('PATCH', ROUTES.profile, { token: tokens.access, body: { first_name: 'Ada' } });
      const refreshed = await a.call('POST', ROUTES.refresh, { body: { refresh: tokens.refresh } });
      await b.call('POST', ROUTES.logout, { body: { refresh: refreshed.body!.refresh as string } });
      await sleep(200);

      const written = [
        ...a.stdout.concat(a.stderr).slice(logsBefore.a),
        ...b.stdout.concat(b.stderr).slice(logsBefore.b),
      ].join('\n');
      expect(written).toContain('request completed');
      const secrets = {
        code,
        wrong,
        phone,
        nationalNumber: phone.slice(2),
        access: tokens.access,
        refresh: tokens.refresh,
        newAccess: refreshed.body!.access as string,
        newRefresh: refreshed.body!.refresh as string,
      };
      for (const [name, value] of Object.entries(secrets)) {
        const pattern = new RegExp(`(^|\\D)${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\D|$)`);
        expect({ name, found: pattern.test(written) }).toEqual({ name, found: false });
      }
      // Nothing shaped like a JWT at all.
      expect(written).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+/);
    });
  });

  describe('metrics', () => {
    it('requires the METRICS_TOKEN bearer token: 401 without it or with a wrong one', async () => {
      expectProblem(await a.call('GET', '/metrics'), 401, 'unauthorized');
      expectProblem(await a.call('GET', '/metrics', { token: secret() }), 401, 'unauthorized');
    });

    it('counts the sign-in funnel and HTTP latency by route and status on the instance that served it', async () => {
      const scrape = async () => {
        const res = await a.call('GET', '/metrics', { token: METRICS_TOKEN });
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
        return res.text;
      };
      const before = await scrape();
      const phone = freshPhone();
      const code = await sendCode(a, gateway, phone);
      const wrong = wrongCode(code);
      await a.call('POST', ROUTES.verifyOtp, { body: { phone_number: phone, otp_code: wrong }, ip: freshIp() });
      await a.call('POST', ROUTES.verifyOtp, { body: { phone_number: phone, otp_code: code }, ip: freshIp() });
      const after = await scrape();

      const delta = (name: string, labels?: Record<string, string>) =>
        sample(after, name, labels) - sample(before, name, labels);
      expect(delta('otp_codes_sent_total')).toBe(1);
      expect(delta('otp_verifications_total', { result: 'otp_invalid' })).toBe(1);
      expect(delta('otp_verifications_total', { result: 'success' })).toBe(1);
      expect(delta('sign_ins_total', { kind: 'new_user' })).toBe(1);
      expect(delta('sms_provider_duration_seconds_count', { outcome: 'ok' })).toBe(1);
      expect(
        delta('http_request_duration_seconds_count', { method: 'POST', route: '/api/auth/send-otp', status: '200' }),
      ).toBe(1);
      expect(
        delta('http_request_duration_seconds_count', { method: 'POST', route: '/api/auth/verify-otp', status: '400' }),
      ).toBe(1);
      expect(after).toMatch(
        /^http_request_duration_seconds_bucket\{le="[\d.+Inf]+",method="POST",route="\/api\/auth\/verify-otp",status="200"\}/m,
      );
    });
  });

  describe('graceful shutdown', () => {
    it('on SIGTERM stops accepting, completes all 50 requests in flight, and exits 0 within SHUTDOWN_TIMEOUT', async () => {
      gateway.delayMs = 1_500;
      const start = gateway.received.length;
      const phones = Array.from({ length: 50 }, () => freshPhone());
      const inFlight = phones.map((phone) =>
        a.call('POST', ROUTES.sendOtp, { body: { phone_number: phone }, ip: freshIp() }).catch((error: Error) => error),
      );
      // Every one of them is inside A, waiting on the (slow) SMS gateway.
      await gateway.waitForCount(start + 50);

      const signalledAt = Date.now();
      a.signal('SIGTERM');
      let accepting: number | 'refused' = 200;
      while (accepting !== 'refused' && Date.now() - signalledAt < 3_000) {
        accepting = await freshConnection(a.url);
        if (accepting !== 'refused') await sleep(20);
      }
      const answers = await Promise.all(inFlight);
      const exit = await a.exited;

      expect(accepting).toBe('refused');
      expect(answers.filter((res) => res instanceof Error)).toEqual([]);
      for (const res of answers as Answer[]) {
        expect({ status: res.status, message: res.body?.message }).toEqual({
          status: 200,
          message: 'OTP sent successfully',
        });
      }
      expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null });
      expect(exit.at - signalledAt).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
      // It waited for the slow sends rather than dropping them.
      expect(exit.at - signalledAt).toBeGreaterThanOrEqual(1_000);
      expect(a.jsonLogs().some((line) => String(line.msg).includes('SIGTERM received'))).toBe(true);
      // B serves on, and the codes A texted while draining work there.
      const res = await b.call('POST', ROUTES.verifyOtp, {
        body: { phone_number: phones[0], otp_code: gateway.codeFor(phones[0]) },
        ip: freshIp(),
      });
      expect(res.status).toBe(200);
    });
  });
});
