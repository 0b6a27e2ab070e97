import { FRAUD, appEnvironment, readConfig } from './config';
import { PHONE_CAPACITY, PhoneAllocator, checkPhoneSample, phoneAt, prefixPhones } from './phones';

describe('readConfig', () => {
  it('runs both backends and the RSS measurement on SQLite by default', () => {
    const config = readConfig({}, 2);

    expect(config).toMatchObject({
      backends: ['sqlite', 'postgres'],
      scenarios: ['profile', 'verify-otp', 'send-otp', 'flood-phone', 'flood-ip', 'pumping'],
      duration: 4,
      rssDuration: 90,
      rssBackends: ['sqlite'],
      profileTargets: [],
      peer: true,
      startupRuns: 5,
      idleWatchS: 90,
      pin: true,
    });
  });

  it('runs the peer and the timed boots only with SQLite, and skips them on request', () => {
    expect(readConfig({ BENCH_BACKENDS: 'postgres' })).toMatchObject({ peer: false, startupRuns: 0 });
    expect(readConfig({ BENCH_PEER: '0', BENCH_STARTUP_RUNS: '0' })).toMatchObject({ peer: false, startupRuns: 0 });
    expect(() => readConfig({ BENCH_STARTUP_RUNS: '-1' })).toThrow(/BENCH_STARTUP_RUNS/);
  });

  it('watches idle servers on SQLite only, for BENCH_IDLE_WATCH seconds, 0 skipping it', () => {
    expect(readConfig({ BENCH_IDLE_WATCH: '2m' }).idleWatchS).toBe(120);
    expect(readConfig({ BENCH_IDLE_WATCH: '0' }).idleWatchS).toBe(0);
    expect(readConfig({ BENCH_BACKENDS: 'postgres' }).idleWatchS).toBe(0);
    expect(() => readConfig({ BENCH_IDLE_WATCH: 'soon' })).toThrow(/BENCH_IDLE_WATCH/);
  });

  it('skips the RSS measurement when BENCH_RSS_DURATION is 0 or BENCH_RSS_BACKENDS is empty', () => {
    expect(readConfig({ BENCH_RSS_DURATION: '0' }).rssBackends).toEqual([]);
    expect(readConfig({ BENCH_RSS_BACKENDS: '' }).rssBackends).toEqual([]);
  });

  it('measures RSS only on backends that run', () => {
    const config = readConfig({ BENCH_BACKENDS: 'postgres', BENCH_RSS_BACKENDS: 'sqlite,postgres' });

    expect(config.rssBackends).toEqual(['postgres']);
  });

  it('reads durations in seconds or minutes and refuses zero where it means nothing', () => {
    expect(readConfig({ BENCH_DURATION: '1m', BENCH_WARMUP: '1.5s' })).toMatchObject({ duration: 60, warmup: 1.5 });
    expect(() => readConfig({ BENCH_DURATION: '0' })).toThrow(/BENCH_DURATION/);
    expect(() => readConfig({ BENCH_ROUNDS: 'three' })).toThrow(/BENCH_ROUNDS/);
  });

  it('names the unknown item of a list', () => {
    expect(() => readConfig({ BENCH_BACKENDS: 'sqlite,mysql' })).toThrow(/unknown "mysql"/);
    expect(() => readConfig({ BENCH_PROFILE: 'sqlite:refresh' })).toThrow(/unknown "sqlite:refresh"/);
  });

  it('takes the pumping scenario like the floods, to run or to profile', () => {
    expect(readConfig({ BENCH_SCENARIOS: 'send-otp,pumping', BENCH_PROFILE: 'postgres:pumping' })).toMatchObject({
      scenarios: ['send-otp', 'pumping'],
      profileTargets: ['postgres:pumping'],
    });
  });

  it('does not pin on a single core', () => {
    expect(readConfig({}, 1).pin).toBe(false);
  });
});

describe('appEnvironment', () => {
  const base = { port: 3000, databaseUrl: 'sqlite:/tmp/x.sqlite' };

  it('raises every limit for the success paths', () => {
    expect(appEnvironment(base)).toMatchObject({
      THROTTLE_LIMIT: '1000000000',
      OTP_IP_VERIFY_LIMIT: '1000000000',
      OTP_PHONE_FAILURE_LIMIT: '1000000000',
      OTP_RESEND_COOLDOWN: '0s',
    });
  });

  it('serves the API docs as development does, unless the boots ask for production’s default', () => {
    expect(appEnvironment(base)).toMatchObject({ API_DOCS_ENABLED: 'true' });
    expect(appEnvironment({ ...base, apiDocs: false })).toMatchObject({ API_DOCS_ENABLED: 'false' });
  });

  it('leaves the per-phone limits at their defaults for the wrong-code flood, the per-IP ones raised', () => {
    const environment = appEnvironment({ ...base, limits: 'phone' });

    expect(environment).not.toHaveProperty('OTP_PHONE_FAILURE_LIMIT');
    expect(environment).not.toHaveProperty('OTP_RESEND_COOLDOWN');
    expect(environment).toMatchObject({ THROTTLE_LIMIT: '1000000000', OTP_IP_VERIFY_LIMIT: '1000000000' });
  });

  it('leaves the per-IP limits at their defaults for the over-the-limit flood, the per-phone ones raised', () => {
    const environment = appEnvironment({ ...base, limits: 'ip' });

    expect(environment).not.toHaveProperty('THROTTLE_LIMIT');
    expect(environment).not.toHaveProperty('OTP_IP_SEND_LIMIT');
    expect(environment).toMatchObject({ OTP_PHONE_SEND_LIMIT: '1000000000', OTP_RESEND_COOLDOWN: '0s' });
  });

  it('keeps the conversion breaker out of the way unless the pumping scenario asks for it', () => {
    for (const limits of ['raised', 'phone', 'ip'] as const) {
      const environment = appEnvironment({ ...base, limits });

      expect(environment).toMatchObject({ FRAUD_MIN_SENDS: '1000000000', FRAUD_COUNTRY_MIN_SENDS: '1000000000' });
      expect(environment).not.toHaveProperty('FRAUD_ACTION');
    }
  });

  it('trips the breaker on a prefix after a few sends for the pumping scenario, every limit raised', () => {
    expect(appEnvironment({ ...base, limits: 'fraud' })).toMatchObject({
      FRAUD_ACTION: 'block',
      FRAUD_MIN_SENDS: String(FRAUD.minSends),
      FRAUD_PREFIX_DROP_DIGITS: '4',
      FRAUD_COOLDOWN: '24h',
      FRAUD_COUNTRY_MIN_SENDS: '1000000000',
      SMS_COUNTRY_BUDGETS: '*:1000000000',
      THROTTLE_LIMIT: '1000000000',
      OTP_IP_SEND_LIMIT: '1000000000',
      OTP_PHONE_SEND_LIMIT: '1000000000',
      OTP_RESEND_COOLDOWN: '0s',
    });
  });
});

describe('phones', () => {
  it('hands out disjoint ranges and refuses to run past the generator', () => {
    const phones = new PhoneAllocator();

    expect(phones.take(10)).toBe(0);
    expect(phones.take(5)).toBe(10);
    expect(() => phones.take(PHONE_CAPACITY)).toThrow(/ran out of numbers/);
  });

  it('maps indices to distinct E.164 numbers the app accepts for sending', () => {
    expect(phoneAt(0)).toBe('+12012000000');
    expect(phoneAt(1_000_000)).toBe('+12022000000');
    expect(() => phoneAt(PHONE_CAPACITY)).toThrow(/past the generator/);
    expect(checkPhoneSample(200)).toBe(200);
  });

  it('hands out every valid number of one prefix, and nobody else any of them', () => {
    const phones = new PhoneAllocator();
    phones.take(12_345);

    const start = phones.takePrefix(4);
    const prefix = prefixPhones(start, 4);

    expect(start).toBe(20_000);
    expect(prefix).toHaveLength(10_000);
    expect(new Set(prefix).size).toBe(10_000);
    expect(prefix[0]).toBe('+12012020000');
    expect(prefix[9_999]).toBe('+12012029999');
    expect(phones.take(1)).toBe(30_000);
    expect(() => prefixPhones(12_345, 4)).toThrow(/does not start a prefix/);
    expect(() => phones.takePrefix(7)).toThrow(/drops 1 to 6 digits/);
  });
});
