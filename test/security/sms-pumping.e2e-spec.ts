import { Secret, TOTP } from 'otpauth';
import type { Response } from 'supertest';
import { Like, type DataSource } from 'typeorm';
import { OtpCode } from '../../src/otp/otp-code.entity';
import { backends, deleteRedisPrefix, uniqueRedisPrefix, type Backend } from '../helpers/backends';
import { useClock } from '../helpers/clock';
import { otpRows } from '../helpers/db-rows';
import { expectProblem, expectRateLimited } from '../helpers/problems';
import { signIn } from '../helpers/sign-in';
import { useTestApp, type TestApp } from '../helpers/test-app';

const HOUR_S = 3600;
/** FRAUD_COOLDOWN's default. */
const COOLDOWN_S = 15 * 60;
/** A US prefix (+1201555xxxx) to pump, and ranges that must stay open meanwhile. */
const PUMPED = '+1201555';
const OTHER_US = '+1202555';
/** +44 7400 12xxxx: GB mobiles (libphonenumber puts +44 7911 12xxxx in Guernsey). */
const GB_MOBILE = '+44740012';
const FR_MOBILE = '+3361234';
const CA = '+1416555';
const SATELLITE = ['+881631234567', '+870773111111'];

const BREAKER_ENV = { FRAUD_MIN_SENDS: '50', FRAUD_MIN_CONVERSION: '0.2', FRAUD_COUNTRY_MIN_SENDS: '1000' };

/** `n` distinct numbers of a prefix (FRAUD_PREFIX_DROP_DIGITS=4): its last four digits counting from `first`. */
function numbersIn(prefix: string, n: number, first = 0): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${String(first + i).padStart(4, '0')}`);
}

/**
 * send-otp to each number, `batch` at a time in parallel, through `apps` in turn (one app, or
 * several sharing their counters); the answers in the numbers' order.
 */
async function sendAll(apps: TestApp | TestApp[], phones: string[], batch = 20): Promise<Response[]> {
  const through = Array.isArray(apps) ? apps : [apps];
  const answers: Response[] = [];
  for (let i = 0; i < phones.length; i += batch) {
    const sends = phones.slice(i, i + batch).map((phone, j) => through[(i + j) % through.length].api.sendOtp(phone));
    answers.push(...(await Promise.all(sends)));
  }
  return answers;
}

/** One code to each of `sends` distinct numbers of `prefix`, one after another, none verified; each must be texted. */
async function pump(t: TestApp, prefix: string, sends: number, first = 0): Promise<void> {
  const answers = await sendAll(t, numbersIn(prefix, sends, first), 1);
  expect(answers.map((res) => res.status)).toEqual(Array<number>(sends).fill(200));
}

/** The breaker's refusal: 429 rate_limited, Retry-After within the last minute of FRAUD_COOLDOWN's start. */
function expectPaused(res: Response): void {
  expectRateLimited(res, COOLDOWN_S);
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(COOLDOWN_S - 60);
}

/** Every code row whose number starts with `prefix`. */
function rowsUnder(db: DataSource, prefix: string): Promise<OtpCode[]> {
  return db.getRepository(OtpCode).find({ where: { phoneNumber: Like(`${prefix}%`) } });
}

function withoutInstance(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([key]) => key !== 'instance'));
}

/** The value of one Prometheus series (`name{labels}`) on GET /metrics; 0 while it is absent. */
async function metric(t: TestApp, series: string): Promise<number> {
  const { text } = await t.http().get('/metrics').expect(200);
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

/** What the authenticator app shows now. */
function totpCode(secret: string): string {
  return TOTP.generate({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });
}

describe.each(backends())('security: SMS pumping on %s', (backend) => {
  // Each test pumps a prefix of its own (+1201555xxxx, +1201556xxxx, ...), so tests sharing an app share no prefix.
  describe('with FRAUD_MIN_SENDS=50, FRAUD_MIN_CONVERSION=0.2 and FRAUD_ACTION=block (the default)', () => {
    const app = useTestApp(backend, { env: BREAKER_ENV });

    it('pauses a prefix whose codes are never entered after exactly 50 of 200 parallel sends: the rest get 429 rate_limited for FRAUD_COOLDOWN, no SMS and no row', async () => {
      const t = app();
      const phones = numbersIn('+1201555', 200);

      const answers = await sendAll(t, phones);

      const served = phones.filter((_, i) => answers[i].status === 200);
      expect(served).toHaveLength(50);
      for (const res of answers.filter((r) => r.status !== 200)) expectPaused(res);
      const texted = t.sms.attempted.map((m) => m.to).filter((to) => to.startsWith('+1201555'));
      expect(texted.sort()).toEqual(served.sort());
      expect((await rowsUnder(t.db, '+1201555')).map((row) => row.phoneNumber).sort()).toEqual(served);
    });

    it('keeps serving another US prefix and another country while one prefix is paused', async () => {
      const t = app();
      await pump(t, '+1201556', 50);
      expectPaused(await t.api.sendOtp('+12015560050'));

      const others = [...numbersIn(OTHER_US, 3), ...numbersIn(GB_MOBILE, 3)];
      for (const phone of others) await t.api.sendOtp(phone).expect(200);

      expect(t.sms.sent.slice(-6).map((m) => m.to)).toEqual(others);
      expect(await rowsUnder(t.db, GB_MOBILE)).toHaveLength(3);
    });

    it('refuses a paused E.164 number as soon as its body is parsed, before validation; other spellings the long way, alike', async () => {
      const t = app();
      await pump(t, '+1201562', 50);

      // An unknown field would be validation_failed on the long way: the early refusal comes first.
      const early = await t.http().post('/api/auth/send-otp/').send({ phone_number: '+12015620050', extra: 1 });
      const long = await t.api.sendOtp('+1 (201) 562-0051');

      expectPaused(early);
      expectPaused(long);
      expect(withoutInstance(early.body)).toEqual(withoutInstance(long.body));
      expect(await rowsUnder(t.db, '+1201562')).toHaveLength(50);
    });

    it('answers a paused number alike whether or not it has an account', async () => {
      const t = app();
      const member = '+12015570001';
      await signIn(t, member);
      // 1 verified of 50 sent is below 20%: the 49th pumped send trips the prefix.
      await pump(t, '+1201557', 49, 100);

      const registered = await t.api.sendOtp(member);
      const stranger = await t.api.sendOtp('+12015570002');

      expectPaused(registered);
      expectPaused(stranger);
      expect(withoutInstance(registered.body)).toEqual(withoutInstance(stranger.body));
      const retryAfter = [registered, stranger].map((res) => Number(res.headers['retry-after']));
      expect(Math.abs(retryAfter[0] - retryAfter[1])).toBeLessThanOrEqual(1);
      expect(t.sms.countFor(member)).toBe(1);
      expect(await otpRows(t.db, member)).toHaveLength(1);
    });

    it('keeps a prefix open past FRAUD_MIN_SENDS while a quarter of its codes are verified', async () => {
      const t = app();
      const phones = numbersIn('+1201558', 100);

      for (let i = 0; i < phones.length; i += 4) {
        const batch = await sendAll(t, phones.slice(i, i + 4), 4);
        expect(batch.map((res) => res.status)).toEqual([200, 200, 200, 200]);
        await t.api.verifyOtp(phones[i], t.sms.lastCodeFor(phones[i])).expect(200);
      }

      await t.api.sendOtp('+12015580100').expect(200);
      expect(await rowsUnder(t.db, '+1201558')).toHaveLength(101);
    });

    it('counts the trip and each refusal in /metrics', async () => {
      const t = app();
      const trips = 'otp_breaker_trips_total{scope="prefix",action="block"}';
      const refusals = 'otp_send_refusals_total{reason="breaker"}';
      const before = { trips: await metric(t, trips), refusals: await metric(t, refusals) };
      await pump(t, '+1201559', 50);
      for (const phone of numbersIn('+1201559', 3, 50)) expectPaused(await t.api.sendOtp(phone));

      expect(await metric(t, trips)).toBe(before.trips + 1);
      expect(await metric(t, refusals)).toBe(before.refusals + 3);
      expect(await metric(t, 'otp_breaker_trips_total{scope="country",action="block"}')).toBe(0);
    });
  });

  describe('once FRAUD_COOLDOWN (15m) has passed', () => {
    const app = useTestApp(backend, { env: BREAKER_ENV });
    const clock = useClock();

    it('sends to the prefix again and judges it afresh: 50 more sends before it trips again', async () => {
      const t = app();
      await pump(t, PUMPED, 50);
      expectPaused(await t.api.sendOtp(`${PUMPED}1000`));

      clock.advance((COOLDOWN_S - 60) * 1000);
      expectRateLimited(await t.api.sendOtp(`${PUMPED}1000`), 60);
      clock.advance(61_000);

      await pump(t, PUMPED, 50, 1000);
      expectPaused(await t.api.sendOtp(`${PUMPED}2000`));
      expect(t.sms.sent).toHaveLength(100);
    });
  });

  describe('with SMS_COUNTRY_BUDGETS=GB:3,*:4', () => {
    const app = useTestApp(backend, { env: { SMS_COUNTRY_BUDGETS: 'GB:3,*:4' } });

    it('refuses the 4th GB SMS of the hour with 429 rate_limited, no SMS and no row, while US numbers are served', async () => {
      const t = app();
      const gb = numbersIn(GB_MOBILE, 4);
      for (const phone of gb.slice(0, 3)) await t.api.sendOtp(phone).expect(200);

      expectRateLimited(await t.api.sendOtp(gb[3]), HOUR_S);

      expect(t.sms.attempted.filter((m) => m.to === gb[3])).toEqual([]);
      expect(await otpRows(t.db, gb[3])).toEqual([]);
      for (const phone of numbersIn(OTHER_US, 4)) await t.api.sendOtp(phone).expect(200);
    });

    it('gives each unlisted country a * budget of its own: the 5th Canadian SMS is refused while France is served', async () => {
      const t = app();
      const ca = numbersIn(CA, 5);
      for (const phone of ca.slice(0, 4)) await t.api.sendOtp(phone).expect(200);

      expectRateLimited(await t.api.sendOtp(ca[4]), HOUR_S);

      expect(await otpRows(t.db, ca[4])).toEqual([]);
      for (const phone of numbersIn(FR_MOBILE, 4)) await t.api.sendOtp(phone).expect(200);
    });
  });

  describe('with SMS_SAFE_LIST naming a number of the pumped prefix, FRAUD_MIN_SENDS=5 and OTP_PHONE_SEND_LIMIT=2', () => {
    const safe = `${PUMPED}9999`;
    const app = useTestApp(backend, { env: { FRAUD_MIN_SENDS: '5', SMS_SAFE_LIST: safe, OTP_PHONE_SEND_LIMIT: '2' } });

    it('neither counts nor pauses the safe number, but holds it to the per-number cap', async () => {
      const t = app();
      await t.api.sendOtp(safe).expect(200);
      // Five other numbers trip the prefix: the safe number's send was not one of its five.
      await pump(t, PUMPED, 5);
      expectPaused(await t.api.sendOtp(`${PUMPED}0005`));

      await t.api.sendOtp(safe).expect(200);
      const capped = await t.api.sendOtp(safe);

      expectRateLimited(capped, HOUR_S);
      expect(Number(capped.headers['retry-after'])).toBeGreaterThan(COOLDOWN_S);
      expect(t.sms.countFor(safe)).toBe(2);
      expect(await otpRows(t.db, safe)).toHaveLength(2);
    });
  });

  describe('with the default PHONE_REFUSED_PREFIXES', () => {
    const app = useTestApp(backend);

    it.each(SATELLITE)('refuses the satellite number %s with 400 phone_not_allowed before any SMS', async (phone) => {
      const t = app();
      expectProblem(await t.api.sendOtp(phone), 400, 'phone_not_allowed');
      expect(t.sms.attempted.filter((m) => m.to === phone)).toEqual([]);
      expect(await otpRows(t.db, phone)).toEqual([]);
    });
  });

  describe('with PHONE_REFUSED_PREFIXES empty', () => {
    const app = useTestApp(backend, { env: { PHONE_REFUSED_PREFIXES: '' } });

    it('texts satellite numbers like any other mobile', async () => {
      const t = app();
      for (const phone of SATELLITE) await t.api.sendOtp(phone).expect(200);
      expect(t.sms.sent.map((m) => m.to)).toEqual(SATELLITE);
    });
  });

  describe('on the other routes that text a number, with FRAUD_MIN_SENDS=5', () => {
    const testNumber = '+12015629998';
    const app = useTestApp(backend, { env: { FRAUD_MIN_SENDS: '5', OTP_TEST_NUMBERS: `${testNumber}:123456` } });

    it('screens a phone change to a number of a paused prefix: 429 rate_limited, no SMS, no row', async () => {
      const t = app();
      const alice = await signIn(t, '+12035550001');
      await pump(t, '+1201560', 5);

      const res = await t.api.requestPhoneChange(alice.tokens.access, '+12015600100');

      expectPaused(res);
      expect(t.sms.attempted.filter((m) => m.to === '+12015600100')).toEqual([]);
      expect(await otpRows(t.db, '+12015600100')).toEqual([]);
    });

    it('screens account recovery to a number of a paused prefix, and leaves the recovery code unspent', async () => {
      const t = app();
      const carol = await signIn(t, '+12035550002');
      const { body } = await t.api.enrolTotp(carol.tokens.access).expect(200);
      const activated = await t.api.activateTotp(carol.tokens.access, totpCode(body.secret as string)).expect(200);
      const [recoveryCode] = activated.body.recovery_codes as string[];
      await pump(t, '+1201561', 5);

      const res = await t.api.requestRecovery('+12035550002', '+12015610100', { recovery_code: recoveryCode });

      expectPaused(res);
      expect(t.sms.attempted.filter((m) => m.to === '+12015610100')).toEqual([]);
      await t.api.requestRecovery('+12035550002', '+12035550100', { recovery_code: recoveryCode }).expect(200);
    });

    it("texts the account's own number inside a paused prefix (reauthentication, deletion) and serves its test number", async () => {
      const t = app();
      const bob = await signIn(t, '+12015620050');
      // 1 verified of 6 sent is below 20%: the 5th pumped send trips the prefix.
      await pump(t, '+1201562', 5);
      expectPaused(await t.api.sendOtp('+12015620050'));

      await t.api.reauthenticate(bob.tokens.access).expect(200);
      await t.api.requestAccountDeletion(bob.tokens.access).expect(200);
      await t.api.sendOtp(testNumber).expect(200);

      expect(t.sms.countFor('+12015620050')).toBe(3);
      expect(t.sms.countFor(testNumber)).toBe(0);
      await t.api.verifyOtp(testNumber, '123456').expect(200);
    });
  });
});

const withRedis = backends().filter((backend) => backend.endsWith('+redis'));
const redisSuite = withRedis.length ? describe.each(withRedis) : describe.skip.each<Backend>(['sqlite+redis']);

redisSuite('security: SMS pumping across instances on %s', (backend) => {
  describe('two apps sharing one REDIS_KEY_PREFIX, with FRAUD_MIN_SENDS=50', () => {
    const shared = uniqueRedisPrefix();
    const env = { ...BREAKER_ENV, REDIS_KEY_PREFIX: shared };
    const first = useTestApp(backend, { env });
    const second = useTestApp(backend, { env });
    // Each app deletes only the prefix createTestApp made for it, which REDIS_KEY_PREFIX replaced.
    afterAll(() => deleteRedisPrefix(shared));

    it('trips the prefix at exactly 50 sends in total across both, and then both refuse it', async () => {
      const apps = [first(), second()];
      const phones = numbersIn(PUMPED, 100);

      const answers = await sendAll(apps, phones);

      expect(answers.filter((res) => res.status === 200)).toHaveLength(50);
      for (const res of answers.filter((r) => r.status !== 200)) expectPaused(res);
      expect(apps[0].sms.sent.length + apps[1].sms.sent.length).toBe(50);
      for (const t of apps) expectPaused(await t.api.sendOtp(`${PUMPED}5000`));
    });
  });
});
