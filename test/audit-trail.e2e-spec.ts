import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import { Secret, TOTP } from 'otpauth';
import { AuditTrail } from '../src/audit/audit-trail.service';
import { maskPhone } from '../src/common/phone-number.service';
import { useClock } from './helpers/clock';
import { dialects } from './helpers/databases';
import { expireLatestCode, latestOtpRow, otpRows } from './helpers/db-rows';
import { expectProblem } from './helpers/problems';
import { sidOf } from './helpers/sessions';
import { guessWrong, requestCode, signIn, wrongCode, type SignedIn } from './helpers/sign-in';
import { SoftAuthenticator } from './helpers/soft-authenticator';
import { useTestApp, type TestApp } from './helpers/test-app';

const RP_ID = 'localhost';
const ORIGIN = 'http://localhost:3000';
const TEST_NUMBER = '+12015550999';
const LOOPBACK = /^(::ffff:)?127\.0\.0\.1$|^::1$/;

/** An audit_events row, the same on both databases. */
interface EventRow {
  id: number;
  created_at: number;
  type: string;
  actor: string | null;
  user_id: number | null;
  phone_hash: string | null;
  phone_masked: string | null;
  country: string | null;
  purpose: string | null;
  channel: string | null;
  reason: string | null;
  session_id: string | null;
  ip: string | null;
  is_new_user: boolean | null;
  elapsed_ms: number | null;
  detail: string | null;
}

const numberOrNull = (value: unknown): number | null => (value === null ? null : Number(value));

/** Every event, oldest first; PostgreSQL's bigints and SQLite's 0/1 booleans read alike. */
async function allEvents(t: TestApp): Promise<EventRow[]> {
  const rows = await t.db.query<Record<string, unknown>[]>('SELECT * FROM audit_events ORDER BY id');
  return rows.map((row) => ({
    ...(row as unknown as EventRow),
    id: Number(row.id),
    created_at: Number(row.created_at),
    user_id: numberOrNull(row.user_id),
    elapsed_ms: numberOrNull(row.elapsed_ms),
    is_new_user: row.is_new_user === null ? null : Boolean(row.is_new_user),
  }));
}

/** The events of one number (by its keyed hash), oldest first. */
async function eventsOf(t: TestApp, phoneNumber: string): Promise<EventRow[]> {
  const hash = t.app.get(AuditTrail).phoneHash(phoneNumber);
  return (await allEvents(t)).filter((event) => event.phone_hash === hash);
}

async function eventsOfUser(t: TestApp, userId: number): Promise<EventRow[]> {
  return (await allEvents(t)).filter((event) => event.user_id === userId);
}

const typesOf = (events: EventRow[]) => events.map(({ type, reason }) => [type, reason]);

function totpCode(secret: string): string {
  return TOTP.generate({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });
}

/** Signs in, enrols an authenticator app and activates it. */
async function withTotp(t: TestApp, phoneNumber: string): Promise<SignedIn & { secret: string }> {
  const signedIn = await signIn(t, phoneNumber);
  const { body } = await t.api.enrolTotp(signedIn.tokens.access).expect(200);
  const secret = body.secret as string;
  await t.api.activateTotp(signedIn.tokens.access, totpCode(secret)).expect(200);
  return { ...signedIn, secret };
}

/** Signs in by SMS and registers a passkey of a new authenticator. */
async function withPasskey(t: TestApp, phoneNumber: string): Promise<SignedIn & { authenticator: SoftAuthenticator }> {
  const signedIn = await signIn(t, phoneNumber);
  const authenticator = new SoftAuthenticator();
  const options = (await t.api.passkeyRegistrationOptions(signedIn.tokens.access).expect(200))
    .body as PublicKeyCredentialCreationOptionsJSON;
  await t.api.registerPasskey(signedIn.tokens.access, 'Laptop', authenticator.register(options, ORIGIN)).expect(201);
  return { ...signedIn, authenticator };
}

async function signInWithPasskey(t: TestApp, authenticator: SoftAuthenticator): Promise<SignedIn> {
  const options = (await t.api.passkeyLoginOptions().expect(200)).body as PublicKeyCredentialRequestOptionsJSON;
  return (await t.api.signInWithPasskey(authenticator.assert(options, ORIGIN)).expect(200)).body as SignedIn;
}

describe.each(dialects())('audit trail on %s', (dialect) => {
  describe('of the user-facing flows', () => {
    const app = useTestApp(dialect, {
      env: {
        REFRESH_REUSE_GRACE: '0s',
        OTP_TEST_NUMBERS: `${TEST_NUMBER}:246810`,
        WEBAUTHN_RP_ID: RP_ID,
        WEBAUTHN_ORIGINS: ORIGIN,
      },
    });
    const clock = useClock();

    it('records a first sign-in as code_sent, code_failed, code_verified and sign_in of a new user, with their fields', async () => {
      const t = app();
      const phone = '+12015550301';
      const before = Date.now();
      const code = await requestCode(t, phone);
      await guessWrong(t, phone, code, 1);
      const res = await t.api.verifyOtp(phone, code).expect(200);
      const { user, tokens } = res.body as SignedIn;

      const events = await eventsOf(t, phone);
      expect(typesOf(events)).toEqual([
        ['code_sent', null],
        ['code_failed', 'otp_invalid'],
        ['code_verified', null],
        ['sign_in', 'otp'],
      ]);
      const common = { actor: null, phone_masked: maskPhone(phone), country: 'US', purpose: 'sign_in', detail: null };
      expect(events[0]).toMatchObject({
        ...common,
        channel: 'sms',
        user_id: null,
        ip: expect.stringMatching(LOOPBACK),
      });
      expect(events[1]).toMatchObject({ ...common, user_id: null, elapsed_ms: null, is_new_user: null });
      expect(events[2]).toMatchObject({ ...common, user_id: user.id, elapsed_ms: expect.any(Number) });
      expect(events[2].elapsed_ms).toBeGreaterThanOrEqual(0);
      expect(events[2].elapsed_ms).toBeLessThanOrEqual(Date.now() - before);
      expect(events[3]).toMatchObject({
        user_id: user.id,
        session_id: sidOf(tokens.refresh),
        is_new_user: true,
        ip: expect.stringMatching(LOOPBACK),
        phone_masked: maskPhone(phone),
        purpose: null,
      });
      for (const event of events) {
        expect(event.created_at).toBeGreaterThanOrEqual(before);
        expect(event.created_at).toBeLessThanOrEqual(Date.now());
      }

      await signIn(t, phone);
      expect((await eventsOf(t, phone)).at(-1)).toMatchObject({ type: 'sign_in', is_new_user: false });
    });

    it('records the guess that spends the last attempt, and every guess after it, as code_burned; an expired code as failed', async () => {
      const t = app();
      const phone = '+12015550302';
      const code = await requestCode(t, phone);
      await guessWrong(t, phone, code, 5);
      expectProblem(await t.api.verifyOtp(phone, code), 429, 'otp_attempts_exceeded');
      const later = await requestCode(t, phone);
      await expireLatestCode(t.db, phone);
      expectProblem(await t.api.verifyOtp(phone, later), 400, 'otp_expired');

      expect(typesOf(await eventsOf(t, phone))).toEqual([
        ['code_sent', null],
        ['code_failed', 'otp_invalid'],
        ['code_failed', 'otp_invalid'],
        ['code_failed', 'otp_invalid'],
        ['code_failed', 'otp_invalid'],
        ['code_burned', 'otp_attempts_exceeded'],
        ['code_burned', 'otp_attempts_exceeded'],
        ['code_sent', null],
        ['code_failed', 'otp_expired'],
      ]);
    });

    it('records no event for a guess at a number that was never sent a code', async () => {
      const t = app();
      expectProblem(await t.api.verifyOtp('+12015550303', '123456'), 400, 'otp_invalid');
      expect(await eventsOf(t, '+12015550303')).toEqual([]);
    });

    it('records a test number’s code as code_sent with reason test_number', async () => {
      const t = app();
      await t.api.sendOtp(TEST_NUMBER).expect(200);
      await t.api.verifyOtp(TEST_NUMBER, '246810').expect(200);

      expect(typesOf(await eventsOf(t, TEST_NUMBER))).toEqual([
        ['code_sent', 'test_number'],
        ['code_verified', null],
        ['sign_in', 'otp'],
      ]);
    });

    it('of parallel verifies of one code, records exactly one code_verified and one sign_in', async () => {
      const t = app();
      const phone = '+12015550304';
      const code = await requestCode(t, phone);
      const answers = await Promise.all(Array.from({ length: 10 }, () => t.api.verifyOtp(phone, code)));

      expect(answers.filter((res) => res.status === 200)).toHaveLength(1);
      const events = await eventsOf(t, phone);
      expect(events.filter((event) => event.type === 'code_verified')).toHaveLength(1);
      expect(events.filter((event) => event.type === 'sign_in')).toHaveLength(1);
    });

    it('records refresh reuse, each logout scope and a revoked session with the user and the session', async () => {
      const t = app();
      const phone = '+12015550305';
      const first = await signIn(t, phone);
      const second = await signIn(t, phone);
      const third = await signIn(t, phone);
      const fourth = await signIn(t, phone);
      const userId = first.user.id;

      const rotated = (await t.api.refresh(first.tokens.refresh).expect(200)).body as SignedIn['tokens'];
      expectProblem(await t.api.refresh(first.tokens.refresh), 401, 'refresh_token_reused');
      await t.api.revokeSession(second.tokens.access, sidOf(third.tokens.access)).expect(204);
      await t.api.logout(second.tokens.refresh, 'local').expect(204);
      await t.api.logout(fourth.tokens.refresh, 'others').expect(204);
      await t.api.logout(fourth.tokens.refresh, 'global').expect(204);
      expect(rotated.refresh).not.toBe(first.tokens.refresh);

      const sessionEvents = (await eventsOfUser(t, userId)).filter((event) => !event.type.startsWith('code_'));
      expect(sessionEvents.map(({ type, reason, session_id }) => [type, reason, session_id])).toEqual([
        ['sign_in', 'otp', sidOf(first.tokens.access)],
        ['sign_in', 'otp', sidOf(second.tokens.access)],
        ['sign_in', 'otp', sidOf(third.tokens.access)],
        ['sign_in', 'otp', sidOf(fourth.tokens.access)],
        ['refresh_reused', null, sidOf(first.tokens.access)],
        ['session_revoked', 'revoked', sidOf(third.tokens.access)],
        ['logout', 'local', sidOf(second.tokens.access)],
        ['logout', 'others', sidOf(fourth.tokens.access)],
        ['logout', 'global', sidOf(fourth.tokens.access)],
      ]);
      const [reused] = sessionEvents.filter((event) => event.type === 'refresh_reused');
      expect(reused.ip).toMatch(LOOPBACK);
    });

    it('records a sign-in through a second factor as sign_in reason mfa, only once the challenge is met', async () => {
      const t = app();
      const phone = '+12015550306';
      const { user, secret } = await withTotp(t, phone);
      const code = await requestCode(t, phone);
      const { body } = await t.api.verifyOtp(phone, code).expect(200);
      const before = typesOf(await eventsOf(t, phone));
      expect(before.slice(-2)).toEqual([
        ['code_sent', null],
        ['code_verified', null],
      ]);

      // The enrolment spent this step's code; the next step's is new.
      clock.advance(30_000);
      const res = await t.api.completeChallenge(body.mfa_token as string, { totp_code: totpCode(secret) });
      expect(res.status).toBe(200);
      const events = await eventsOf(t, phone);
      expect(events.at(-1)).toMatchObject({
        type: 'sign_in',
        reason: 'mfa',
        is_new_user: false,
        user_id: user.id,
        session_id: sidOf((res.body as SignedIn).tokens.access),
      });
    });

    it('records an account recovery as the sessions it ended and a sign_in reason recovery', async () => {
      const t = app();
      const lost = '+12015550312';
      const found = '+12015550313';
      const { user, secret } = await withTotp(t, lost);
      clock.advance(30_000);
      await t.api.requestRecovery(lost, found, { totp_code: totpCode(secret) }).expect(200);
      const res = await t.api.verifyRecovery(lost, found, t.sms.lastCodeFor(found)).expect(200);

      const events = await eventsOfUser(t, user.id);
      expect(events.slice(-4).map(({ type, reason, purpose }) => [type, reason, purpose])).toEqual([
        ['code_sent', null, 'account_recovery'],
        ['code_verified', null, 'account_recovery'],
        ['session_revoked', 'account_recovered', null],
        ['sign_in', 'recovery', null],
      ]);
      expect(events.at(-1)).toMatchObject({
        phone_masked: maskPhone(found),
        session_id: sidOf((res.body as SignedIn).tokens.access),
        is_new_user: false,
      });
    });

    it('records a passkey sign-in as sign_in reason passkey', async () => {
      const t = app();
      const phone = '+12015550307';
      const { user, authenticator } = await withPasskey(t, phone);
      const signedIn = await signInWithPasskey(t, authenticator);

      expect((await eventsOf(t, phone)).at(-1)).toMatchObject({
        type: 'sign_in',
        reason: 'passkey',
        is_new_user: false,
        user_id: user.id,
        session_id: sidOf(signedIn.tokens.access),
        ip: expect.stringMatching(LOOPBACK),
      });
    });

    it('records the account flows’ codes with their purpose and user, the sessions a phone change ends, and keeps a deleted account’s events', async () => {
      const t = app();
      const phone = '+12015550308';
      const moved = '+12015550309';
      const alice = await signIn(t, phone);
      const other = await signIn(t, phone);
      await t.api.reauthenticate(alice.tokens.access).expect(200);
      await t.api.verifyReauthentication(alice.tokens.access, t.sms.lastCodeFor(phone)).expect(200);
      await t.api.requestPhoneChange(alice.tokens.access, moved).expect(200);
      const changed = await t.api.verifyPhoneChange(alice.tokens.access, moved, t.sms.lastCodeFor(moved)).expect(200);
      const access = (changed.body as { tokens: SignedIn['tokens'] }).tokens.access;
      await t.api.requestAccountDeletion(access).expect(200);
      await t.api.deleteAccount(access, t.sms.lastCodeFor(moved)).expect(204);

      const events = (await eventsOfUser(t, alice.user.id)).filter(
        (event) => event.purpose !== 'sign_in' && event.type !== 'sign_in',
      );
      expect(events.map(({ type, purpose, reason, phone_masked }) => [type, purpose, reason, phone_masked])).toEqual([
        ['code_sent', 'reauthenticate', null, maskPhone(phone)],
        ['code_verified', 'reauthenticate', null, maskPhone(phone)],
        ['code_sent', 'phone_change', null, maskPhone(moved)],
        ['code_verified', 'phone_change', null, maskPhone(moved)],
        ['session_revoked', null, 'phone_number_changed', null],
        ['code_sent', 'account_deletion', null, maskPhone(moved)],
        ['code_verified', 'account_deletion', null, maskPhone(moved)],
      ]);
      expect(events[0].ip).toMatch(LOOPBACK);
      expect(other.user.id).toBe(alice.user.id);
    });

    it('leaves no raw number, code, code hash or token in any cell after a whole flow', async () => {
      const t = app();
      const phone = '+12015550310';
      const secrets: string[] = [phone, phone.slice(1), phone.slice(2)];
      const code = await requestCode(t, phone);
      secrets.push(code, wrongCode(code), (await latestOtpRow(t.db, phone)).codeHash);
      await guessWrong(t, phone, code, 1);
      const first = ((await t.api.verifyOtp(phone, code).expect(200)).body as SignedIn).tokens;
      const rotated = (await t.api.refresh(first.refresh).expect(200)).body as SignedIn['tokens'];
      expectProblem(await t.api.refresh(first.refresh), 401, 'refresh_token_reused');
      const second = await signIn(t, phone);
      secrets.push(t.sms.lastCodeFor(phone), ...Object.values(first), ...Object.values(rotated));
      secrets.push(...Object.values(second.tokens));
      const { secret } = await withTotp(t, '+12015550311');
      secrets.push('+12015550311', '12015550311', secret);
      await requestCode(t, '+12015550311');
      secrets.push(t.sms.lastCodeFor('+12015550311'));
      const mfa = await t.api.verifyOtp('+12015550311', t.sms.lastCodeFor('+12015550311')).expect(200);
      secrets.push(mfa.body.mfa_token as string);
      await t.api.logout(second.tokens.refresh, 'global').expect(204);
      for (const row of await otpRows(t.db, '+12015550311')) secrets.push(row.codeHash);
      for (const row of await otpRows(t.db, phone)) secrets.push(row.codeHash);

      const cells = (await allEvents(t)).flatMap((event) => Object.values(event).map((value) => String(value)));
      expect(cells.length).toBeGreaterThan(100);
      for (const value of new Set(secrets)) {
        expect(cells.filter((cell) => cell.includes(value))).toEqual([]);
      }
    });
  });

  describe('of refused sends', () => {
    const app = useTestApp(dialect, { env: { OTP_RESEND_COOLDOWN: '60s', PHONE_ALLOWED_COUNTRIES: 'US,GB' } });

    it('records cooldown, a refused country, a channel not enabled and a failed SMS as code_send_refused with the reason', async () => {
      const t = app();
      const phone = '+12015550320';
      await t.api.sendOtp(phone).expect(200);
      expectProblem(await t.api.sendOtp(phone), 429, 'otp_resend_too_soon');
      expectProblem(await t.api.sendOtp('+5511961234567'), 400, 'phone_not_allowed');
      expectProblem(await t.api.sendOtp('+12015550321', { channel: 'voice' }), 400, 'channel_not_enabled');
      t.sms.failing = true;
      try {
        expectProblem(await t.api.sendOtp('+12015550322'), 503, 'sms_delivery_failed');
      } finally {
        t.sms.failing = false;
      }

      expect(typesOf(await eventsOf(t, phone))).toEqual([
        ['code_sent', null],
        ['code_send_refused', 'cooldown'],
      ]);
      expect(await eventsOf(t, '+5511961234567')).toEqual([
        expect.objectContaining({ type: 'code_send_refused', reason: 'phone_not_allowed', country: 'BR' }),
      ]);
      expect(await eventsOf(t, '+12015550321')).toEqual([
        expect.objectContaining({ type: 'code_send_refused', reason: 'channel_not_enabled', channel: 'voice' }),
      ]);
      expect(await eventsOf(t, '+12015550322')).toEqual([
        expect.objectContaining({
          type: 'code_send_refused',
          reason: 'sms_delivery_failed',
          purpose: 'sign_in',
          country: 'US',
          ip: expect.stringMatching(LOOPBACK),
        }),
      ]);
    });

    it('records nothing for a request refused before a valid number is known', async () => {
      const t = app();
      const before = (await allEvents(t)).length;
      expectProblem(await t.api.sendOtp('+1201555'), 400, 'invalid_phone_number');
      expectProblem(await t.api.sendOtp('not a number'), 400, 'invalid_phone_number');
      expect(await allEvents(t)).toHaveLength(before);
    });
  });

  describe('of a send refused for want of a captcha', () => {
    const app = useTestApp(dialect, {
      env: {
        CAPTCHA_PROVIDER: 'turnstile',
        CAPTCHA_SECRET: 'audit-trail-spec-secret-0123456789',
        CAPTCHA_VERIFY_URL: 'http://127.0.0.1:9/siteverify',
        CAPTCHA_MODE: 'always',
      },
    });

    it('records captcha_required', async () => {
      const t = app();
      expectProblem(await t.api.sendOtp('+12015550330'), 400, 'captcha_required');
      expect(typesOf(await eventsOf(t, '+12015550330'))).toEqual([['code_send_refused', 'captcha_required']]);
    });
  });
});
