import type { Response } from 'supertest';
import { ROUTES } from '../helpers/api-client';
import { dialects } from '../helpers/databases';
import { signIn, type SignedIn } from '../helpers/sign-in';
import { useTestApp, type TestApp } from '../helpers/test-app';

interface Case {
  name: string;
  status: number;
  /** An auth response: tokens, codes or profiles that no cache may keep. */
  auth: boolean;
  request: (t: TestApp, session: SignedIn) => Promise<Response>;
}

const CASES: Case[] = [
  { name: 'send-otp 200', status: 200, auth: true, request: (t) => t.api.sendOtp('+12015550161') },
  {
    name: 'verify-otp 200 with tokens',
    status: 200,
    auth: true,
    request: async (t) => {
      await t.api.sendOtp('+12015550162').expect(200);
      return t.api.verifyOtp('+12015550162', t.sms.lastCodeFor('+12015550162'));
    },
  },
  { name: 'profile 200', status: 200, auth: true, request: (t, s) => t.api.profile(s.tokens.access) },
  { name: 'token/refresh 200', status: 200, auth: true, request: (t, s) => t.api.refresh(s.tokens.refresh) },
  { name: 'sessions 200', status: 200, auth: true, request: (t, s) => t.api.sessions(s.tokens.access) },
  {
    name: 'verify-otp 400 problem',
    status: 400,
    auth: true,
    request: (t) => t.api.verifyOtp('+12015550164', '123456'),
  },
  {
    name: 'send-otp 400 validation problem',
    status: 400,
    auth: true,
    request: (t) => t.http().post(ROUTES.sendOtp).send({ phone_number: 42 }),
  },
  { name: 'profile 401 problem', status: 401, auth: true, request: (t) => t.api.profile() },
  {
    name: 'send-otp 413 problem',
    status: 413,
    auth: true,
    request: (t) => t.api.sendOtp('+12015550165', { padding: 'x'.repeat(64 * 1024) }),
  },
  {
    name: 'send-otp 415 problem',
    status: 415,
    auth: true,
    request: (t) => t.http().post(ROUTES.sendOtp).set('Content-Type', 'text/plain').send('+12015550165'),
  },
  {
    name: 'send-otp 429 problem',
    status: 429,
    auth: true,
    request: async (t) => {
      await t.api.sendOtp('+12015550166').expect(200);
      return t.api.sendOtp('+12015550166');
    },
  },
  { name: 'unknown route 404 problem', status: 404, auth: false, request: (t) => t.http().get('/no/such/route') },
  { name: 'OpenAPI document 200', status: 200, auth: false, request: (t) => t.http().get(ROUTES.docsJson) },
];

/** What helmet sets with the app's options (src/app.setup.ts); values follow helmet's defaults. */
const HELMET_HEADERS = [
  'content-security-policy',
  'cross-origin-opener-policy',
  'cross-origin-resource-policy',
  'origin-agent-cluster',
  'referrer-policy',
  'strict-transport-security',
  'x-content-type-options',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-frame-options',
  'x-permitted-cross-domain-policies',
  'x-xss-protection',
];

describe.each(dialects())('security: response headers on %s', (dialect) => {
  const app = useTestApp(dialect, { env: { OTP_RESEND_COOLDOWN: '60s' } });
  let session: SignedIn;
  beforeAll(async () => {
    session = await signIn(app(), '+12015550163');
  });

  it.each(CASES)('sends nosniff and no X-Powered-By, and no-store on auth routes: $name', async (c) => {
    const res = await c.request(app(), session);

    expect(res.status).toBe(c.status);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-powered-by']).toBeUndefined();
    if (c.auth) expect(res.headers['cache-control']).toBe('no-store');
  });

  it('sends no-store on a 404 under /api/auth too, and frame and transport protections everywhere', async () => {
    const res = await app().http().get('/api/auth/nothing-here/');

    expect(res.status).toBe(404);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
  });

  it('sends helmet’s whole set, identical on an API answer, an error, the pages and their assets', async () => {
    const responses = await Promise.all(
      [ROUTES.profile, '/no/such/route', '/api/docs', '/api/docs/swagger-ui.css', '/demo/', '/demo/demo.js'].map(
        (path) => app().http().get(path).set('Authorization', `Bearer ${session.tokens.access}`),
      ),
    );
    const helmetSet = (res: Response) => Object.fromEntries(HELMET_HEADERS.map((name) => [name, res.headers[name]]));

    expect(responses.map((res) => res.status)).toEqual([200, 404, 200, 200, 200, 200]);
    for (const name of HELMET_HEADERS) expect(responses[0].headers[name]).toEqual(expect.any(String));
    for (const res of responses.slice(1)) expect(helmetSet(res)).toEqual(helmetSet(responses[0]));
  });
});
