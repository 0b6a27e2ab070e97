import { randomInt } from 'node:crypto';
import type { Response } from 'supertest';
import { setTimeout as sleep } from 'node:timers/promises';
import { backends } from '../helpers/backends';
import { latestOtpRow, otpRows } from '../helpers/db-rows';
import { expectProblem } from '../helpers/problems';
import { wrongCode } from '../helpers/sign-in';
import { useTestApp, type TestApp } from '../helpers/test-app';

const OWNER = '203.0.113.50';
const strangers = (n: number) => Array.from({ length: n }, (_, i) => `198.51.100.${i + 1}`);
const randomCode = () => String(randomInt(0, 1_000_000)).padStart(6, '0');

/** send-otp and verify-otp as the client at `ip` (TRUST_PROXY is on). */
const sendAs = (t: TestApp, ip: string, phone: string) => t.api.sendOtp(phone).set('X-Forwarded-For', ip);
const verifyAs = (t: TestApp, ip: string, phone: string, code: string) =>
  t.api.verifyOtp(phone, code).set('X-Forwarded-For', ip);

/** OTP_PHONE_FAILURE_LIMIT below: wrong guesses per number per client per hour. */
const FAILURE_LIMIT = 20;

/**
 * Asserts the answer to a stranger's wrong guess, the `sent`-th (from 0) it made for the number:
 * `otherwise` until it has made OTP_PHONE_FAILURE_LIMIT of them, then 429 rate_limited, for it alone.
 */
function expectGuessAnswer(res: Response, sent: number, otherwise: [number, string]): void {
  const [status, code] = sent < FAILURE_LIMIT ? otherwise : [429, 'rate_limited'];
  expectProblem(res, status, code);
}

async function ownerSignsIn(t: TestApp, phone: string): Promise<void> {
  await sendAs(t, OWNER, phone).expect(200);
  await verifyAs(t, OWNER, phone, t.sms.lastCodeFor(phone)).expect(200);
}

/**
 * Issue 13, finding 1: a stranger who knows a number must not keep its owner from signing in
 * (DESIGN §7). The number's guess limits stay at their defaults here; only the per-IP request
 * limits are raised, so that the stranger is stopped by nothing but what is under test.
 */
describe.each(backends())('security: nobody can lock a number out, on %s', (backend) => {
  const app = useTestApp(backend, {
    env: {
      TRUST_PROXY: 'true',
      OTP_PHONE_FAILURE_LIMIT: String(FAILURE_LIMIT),
      OTP_MAX_CONSECUTIVE_FAILURES: '100',
      OTP_MAX_ATTEMPTS: '5',
      OTP_RESEND_COOLDOWN: '1s',
    },
  });
  let nextPhone = 200;
  const freshPhone = () => `+1201555${String(nextPhone++).padStart(4, '0')}`;

  it.each([
    [20, 1],
    [20, 10],
    [200, 1],
    [200, 10],
  ])(
    'counts %i random-code guesses from %i IP(s) for a number with no code against the guessers alone: the owner then signs in',
    async (guesses, ips) => {
      const t = app();
      const phone = freshPhone();
      const from = strangers(ips);
      for (let guess = 0; guess < guesses; guess++) {
        const res = await verifyAs(t, from[guess % ips], phone, randomCode());
        expectGuessAnswer(res, Math.floor(guess / ips), [400, 'otp_invalid']);
      }

      await ownerSignsIn(t, phone);
    },
  );

  it('counts guesses at a used code against the guesser alone: 30 of them, then the owner signs in again', async () => {
    const t = app();
    const phone = freshPhone();
    await ownerSignsIn(t, phone);
    const used = t.sms.lastCodeFor(phone);
    for (let guess = 0; guess < 30; guess++) {
      const res = await verifyAs(t, '198.51.100.99', phone, guess % 2 ? used : randomCode());
      expectGuessAnswer(res, guess, [400, 'otp_invalid']);
    }
    await sleep(1_000); // OTP_RESEND_COOLDOWN

    await ownerSignsIn(t, phone);
  });

  it('lets the owner sign in with the next code after the cooldown when a stranger has burned live codes until stopped', async () => {
    const t = app();
    const phone = freshPhone();
    const [stranger] = strangers(1);
    let sent = 0;
    for (let burned = 0; burned < 4; burned++) {
      if (burned) await sleep(1_000); // OTP_RESEND_COOLDOWN
      await sendAs(t, stranger, phone).expect(200);
      const live = t.sms.lastCodeFor(phone);
      for (let guess = 0; guess < 5; guess++) {
        expectGuessAnswer(await verifyAs(t, stranger, phone, wrongCode(live)), sent++, [400, 'otp_invalid']);
      }
      // The burned code refuses even itself, and that futile guess counts against the stranger too.
      expectGuessAnswer(await verifyAs(t, stranger, phone, live), sent++, [429, 'otp_attempts_exceeded']);
    }
    await sleep(1_000);

    await ownerSignsIn(t, phone);
    expect((await otpRows(t.db, phone)).length).toBe(5);
  });

  it('still burns a live code after OTP_MAX_ATTEMPTS wrong guesses, whoever sends them', async () => {
    const t = app();
    const phone = freshPhone();
    await sendAs(t, OWNER, phone).expect(200);
    const live = t.sms.lastCodeFor(phone);
    for (const ip of strangers(5)) expectProblem(await verifyAs(t, ip, phone, wrongCode(live)), 400, 'otp_invalid');

    expectProblem(await verifyAs(t, OWNER, phone, live), 429, 'otp_attempts_exceeded');
    expect(await latestOtpRow(t.db, phone)).toMatchObject({ attempts: 5, consumedAt: null });
  });
});
