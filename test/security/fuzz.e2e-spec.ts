import fc from 'fast-check';
import { Secret, TOTP } from 'otpauth';
import type { Response } from 'supertest';
import { dialects } from '../helpers/databases';
import { ROUTES } from '../helpers/api-client';
import { requestCode, signIn, type SignedIn } from '../helpers/sign-in';
import { useTestApp } from '../helpers/test-app';

const NUM_RUNS = 150;
/** Set FUZZ_SEED to replay a failure; fast-check prints the seed and path of every counterexample. */
const SEED = process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) } : {};

const FIELDS = [
  'phone_number',
  'new_phone_number',
  'otp_code',
  'locale',
  'refresh',
  'scope',
  'first_name',
  'last_name',
  'code',
  'totp_code',
  'recovery_code',
  'mfa_token',
];
/** Zero to nine in scripts other than ASCII: Arabic-Indic, Devanagari, fullwidth, mathematical bold. */
const DIGIT_SETS = ['٠١٢٣٤٥٦٧٨٩', '०१२३४५६७८९', '０１２３４５６７８９', '𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗'].map((set) => [...set]);

const unicodeDigits = fc
  .tuple(fc.constantFrom(...DIGIT_SETS), fc.stringMatching(/^\+?[0-9]{4,15}$/))
  .map(([digits, ascii]) => ascii.replace(/[0-9]/g, (d) => digits[Number(d)]));

const nearlyValidPhone = fc
  .tuple(fc.integer({ min: 100, max: 199 }), fc.constantFrom('+1201555%', '+1 (201) 555-%', '+1.201.555.%', '1201555%'))
  .map(([n, format]) => format.replace('%', `0${n}`.slice(-4)));

/** A value for any field: every JSON type, odd strings, huge numbers written as strings, near-misses. */
const fieldValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  unicodeDigits,
  nearlyValidPhone,
  fc.stringMatching(/^[0-9]{4,10}$/),
  fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String),
  fc.double(),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\u0000+12015550170',
    '+',
    '+1',
    'eyJhbGciOiJub25lIn0.e30.',
    'local',
    'global',
    'x'.repeat(5000),
  ),
);

const knownKeysObject = fc.record(Object.fromEntries(FIELDS.map((field) => [field, fieldValue])), { requiredKeys: [] });
const withExtraKeys = fc
  .tuple(knownKeysObject, fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 12 }), fieldValue, { maxKeys: 3 }))
  .map(([known, extra]) => ({ ...extra, ...known }));

/** A bare integer literal too large for any number type, in a field or as the whole body. */
const hugeNumberLiteral = fc
  .tuple(fc.constantFrom(...FIELDS), fc.bigInt({ min: 10n ** 20n, max: 10n ** 400n }), fc.boolean())
  .map(([field, n, whole]) => (whole ? `${n}` : `{"${field}": ${n}}`));

/** Nesting thousands deep, still under BODY_LIMIT. */
const deepNesting = fc
  .tuple(fc.integer({ min: 1, max: 1500 }), fc.constantFrom(...FIELDS), fc.boolean())
  .map(([depth, field, arrays]) =>
    arrays
      ? `{"${field}": ${'['.repeat(depth)}${']'.repeat(depth)}}`
      : `${`{"${field}":`.repeat(depth)}"+12015550170"${'}'.repeat(depth)}`,
  );

/** Bodies that broke parsers and databases elsewhere; each is also sent to every endpoint on its own. */
const EDGE_CASES = [
  '',
  'null',
  '[]',
  '"+12015550170"',
  '{"__proto__": {"phone_number": "+12015550170"}}',
  '{"constructor": {"prototype": {"otp_code": "123456"}}}',
  '{"phone_number": "+12015550170", "phone_number": ["+12015550170"]}',
  '{"first_name": "\\ud800"}',
  '{"first_name": "a\\u0000b"}',
  '{"phone_number": 1e309}',
  '{"otp_code": -0}',
  '{"refresh": "',
  '\ufeff{}',
  '{}',
  '{"totp_code": "123456", "recovery_code": "K7Q2M-9XH4D"}',
  '{"totp_code": null, "recovery_code": null}',
  '{"totp_code": null}',
  '{"recovery_code": null}',
  '{"totp_code": 123456}',
  '{"recovery_code": ["K7Q2M-9XH4D"]}',
  '{"code": 123456}',
  '{"code": "１２３４５６"}',
  '{"mfa_token": "kD3v0m5Q2b7y9hXJm1sN8cT4pR6wZ0aE3fG5iL7uV9o"}',
  '{"mfa_token": "kD3v0m5Q2b7y9hXJm1sN8cT4pR6wZ0aE3fG5iL7uV9o", "totp_code": "123456", "recovery_code": "K7Q2M-9XH4D"}',
  '{"mfa_token": {"$ne": null}, "totp_code": "123456"}',
  `{"mfa_token": "${'A'.repeat(15_000)}", "recovery_code": "K7Q2M-9XH4D"}`,
  '{"mfa_token": "\\ud800", "recovery_code": "K7Q2M\u20129XH4D"}',
  '{"phone_number": "+12015550171", "new_phone_number": "+12015550172", "totp_code": "123456", "recovery_code": "K7Q2M-9XH4D"}',
  '{"phone_number": "+12015550171", "new_phone_number": "+12015550172", "recovery_code": "K7Q2M-9XH4D"}',
  '{"phone_number": "+12015550171", "new_phone_number": "+12015550172", "recovery_code": null}',
  '{"phone_number": "+12015550171", "new_phone_number": "+12015550171", "totp_code": "123456"}',
  '{"phone_number": "+12015550171", "new_phone_number": "+12015550172", "otp_code": "123456"}',
];

/** Second-factor proofs: well-formed, near misses, other scripts and dashes, other types, nearly BODY_LIMIT long. */
const proofValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.stringMatching(/^[0-9]{6}$/),
  fc.stringMatching(/^[0-9A-Za-z]{5}[- ]?[0-9A-Za-z]{5}$/),
  unicodeDigits,
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fieldValue,
  fc.constantFrom(
    '１２３４５６',
    '12345６',
    ' 123456',
    '123456\n',
    'K7Q2M\u20109XH4D',
    'Ｋ７Ｑ２Ｍ-９ＸＨ４Ｄ',
    'K7Q2M-9XH4D\u0000',
    '9'.repeat(15_000),
  ),
);

const mfaToken = fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{43}$/), fieldValue);

/**
 * Bodies shaped like the second-factor routes' (a TOTP code, a proof with both, one or neither
 * field, a challenge, lost-phone recovery), with any value in any field, so that they get past
 * the whitelist and reach the checks behind it.
 */
const secondFactorBody: fc.Arbitrary<string> = fc
  .oneof(
    fc.record({ code: proofValue }, { requiredKeys: [] }),
    fc.record({ totp_code: proofValue, recovery_code: proofValue }, { requiredKeys: [] }),
    fc.record({ mfa_token: mfaToken, totp_code: proofValue, recovery_code: proofValue }, { requiredKeys: [] }),
    fc.record(
      {
        phone_number: fc.oneof(nearlyValidPhone, fieldValue),
        new_phone_number: fc.oneof(nearlyValidPhone, fieldValue),
        totp_code: proofValue,
        recovery_code: proofValue,
        otp_code: proofValue,
        locale: fieldValue,
      },
      { requiredKeys: ['phone_number', 'new_phone_number'] },
    ),
  )
  .map((value) => JSON.stringify(value));

/** Raw request bodies, sent as application/json. */
const body: fc.Arbitrary<string> = fc.oneof(
  fc.jsonValue({ maxDepth: 6 }).map((value) => JSON.stringify(value)),
  withExtraKeys.map((value) => JSON.stringify(value)),
  hugeNumberLiteral,
  deepNesting,
  fc.constantFrom(...EDGE_CASES),
  fc.string({ unit: 'binary', maxLength: 200 }),
  secondFactorBody,
);

function expectNoServerError(res: Response): void {
  expect(res.status).toBeGreaterThanOrEqual(200);
  expect(res.status).toBeLessThan(500);
  if (res.status >= 400) {
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json\b/);
    expect(res.body).toEqual(expect.objectContaining({ status: res.status, code: expect.stringMatching(/^[a-z_]+$/) }));
  }
}

/** The user with an authenticator app: its proofs are checked, not refused for want of a factor. */
const MFA_PHONE = '+12015550171';

describe.each(dialects())('security: fuzzing every public endpoint on %s', (dialect) => {
  const app = useTestApp(dialect);
  let session: SignedIn;
  let mfaSession: SignedIn;
  beforeAll(async () => {
    session = await signIn(app(), '+12015550170');
    mfaSession = await signIn(app(), MFA_PHONE);
    const { body } = await app().api.enrolTotp(mfaSession.tokens.access).expect(200);
    const secret = Secret.fromBase32(body.secret as string);
    const code = new TOTP({ secret, algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: Date.now() });
    await app().api.activateTotp(mfaSession.tokens.access, code).expect(200);
  });

  const endpoints: [string, (text: string) => Promise<Response>][] = [
    ['POST /api/auth/send-otp/', (text) => post(ROUTES.sendOtp, text)],
    ['POST /api/auth/verify-otp/', (text) => post(ROUTES.verifyOtp, text)],
    ['POST /api/auth/token/refresh/', (text) => post(ROUTES.refresh, text)],
    ['POST /api/auth/logout/', (text) => post(ROUTES.logout, text)],
    ['PATCH /api/auth/profile/ (signed in)', (text) => signedIn('patch', ROUTES.profile, text)],
    ['POST /api/auth/reauthenticate/ (signed in)', (text) => signedIn('post', ROUTES.reauthenticate, text)],
    [
      'POST /api/auth/reauthenticate/verify/ (signed in)',
      (text) => signedIn('post', ROUTES.reauthenticateVerify, text),
    ],
    ['POST /api/auth/phone/change/ (signed in)', (text) => signedIn('post', ROUTES.phoneChange, text)],
    ['POST /api/auth/phone/change/verify/ (signed in)', (text) => signedIn('post', ROUTES.phoneChangeVerify, text)],
    ['POST /api/auth/account/deletion/ (signed in)', (text) => signedIn('post', ROUTES.accountDeletion, text)],
    ['DELETE /api/auth/account/ (signed in)', (text) => signedIn('delete', ROUTES.account, text)],
    ['POST /api/auth/mfa/challenge/', (text) => post(ROUTES.mfaChallenge, text)],
    [
      'POST /api/auth/mfa/challenge/ (a live mfa_token in object bodies)',
      async (text) => post(ROUTES.mfaChallenge, await withLiveMfaToken(text)),
    ],
    ['POST /api/auth/recovery/', (text) => post(ROUTES.recovery, text)],
    ['POST /api/auth/recovery/verify/', (text) => post(ROUTES.recoveryVerify, text)],
    ['POST /api/auth/mfa/totp/ (signed in)', (text) => signedIn('post', ROUTES.mfaTotp, text)],
    ['POST /api/auth/mfa/totp/verify/ (signed in)', (text) => signedIn('post', ROUTES.mfaTotpVerify, text)],
    ['DELETE /api/auth/mfa/totp/ (signed in, none active)', (text) => signedIn('delete', ROUTES.mfaTotp, text)],
    [
      'DELETE /api/auth/mfa/totp/ (signed in, authenticator active)',
      (text) => signedIn('delete', ROUTES.mfaTotp, text, mfaSession),
    ],
    [
      'POST /api/auth/mfa/recovery-codes/ (signed in, authenticator active)',
      (text) => signedIn('post', ROUTES.mfaRecoveryCodes, text, mfaSession),
    ],
  ];

  function post(path: string, text: string): Promise<Response> {
    return app().http().post(path).set('Content-Type', 'application/json').send(text);
  }

  function signedIn(
    method: 'post' | 'patch' | 'delete',
    path: string,
    text: string,
    caller: SignedIn = session,
  ): Promise<Response> {
    return app()
      .http()
      [method](path)
      .set('Authorization', `Bearer ${caller.tokens.access}`)
      .set('Content-Type', 'application/json')
      .send(text);
  }

  /**
   * A JSON object body with `mfa_token` set to a fresh one (send-otp and verify-otp for the user
   * with an authenticator app), so that its proof is checked; any other body as it is.
   */
  async function withLiveMfaToken(text: string): Promise<string> {
    const value = parsedObject(text);
    if (!value) return text;
    const code = await requestCode(app(), MFA_PHONE);
    const res = await app().api.verifyOtp(MFA_PHONE, code).expect(200);
    return JSON.stringify({ ...value, mfa_token: res.body.mfa_token as string });
  }

  it.each(endpoints)('answers random JSON at %s with a 2xx or a 4xx problem, never a 5xx', async (_name, send) => {
    await fc.assert(
      fc.asyncProperty(body, async (text) => {
        expectNoServerError(await send(text));
      }),
      { numRuns: NUM_RUNS, ...SEED },
    );
    // The signed-in sessions survived the barrage.
    await app().api.profile(session.tokens.access).expect(200);
    await app().api.profile(mfaSession.tokens.access).expect(200);
  });

  it.each(endpoints)('answers every known edge-case body at %s with a 2xx or a 4xx problem', async (_name, send) => {
    const answers: { body: string; status: number; contentType: string }[] = [];
    for (const text of EDGE_CASES) {
      const res = await send(text);
      answers.push({ body: text, status: res.status, contentType: String(res.headers['content-type']) });
    }

    const serverErrors = answers.filter((a) => a.status >= 500);
    expect(serverErrors).toEqual([]);
    for (const answer of answers.filter((a) => a.status >= 400)) {
      expect(answer.contentType).toMatch(/^application\/problem\+json\b/);
    }
  });
});

/** The body parsed, when it is a JSON object. */
function parsedObject(text: string): object | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
