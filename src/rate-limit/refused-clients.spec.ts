import { RefusedClients } from './refused-clients';

const T0 = new Date('2026-11-30T12:00:00.000Z').getTime();

describe('RefusedClients', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: T0 });
  });
  afterEach(() => jest.useRealTimers());

  it('refuses the client on that route until the window ends, counting down the seconds left', () => {
    const refused = new RefusedClients();
    refused.remember({ client: '198.51.100.7', route: 'POST /api/auth/send-otp' }, { retryAfterSeconds: 60 });

    expect(refused.find({ client: '198.51.100.7', route: 'POST /api/auth/send-otp' })?.retryAfterSeconds).toBe(60);
    jest.setSystemTime(T0 + 59_500);
    expect(refused.find({ client: '198.51.100.7', route: 'POST /api/auth/send-otp' })?.retryAfterSeconds).toBe(1);
    jest.setSystemTime(T0 + 60_000);
    expect(
      refused.find({ client: '198.51.100.7', route: 'POST /api/auth/send-otp' })?.retryAfterSeconds,
    ).toBeUndefined();
  });

  it('keeps a refusal for one subject to that subject, and answers with the detail it was given', () => {
    const refused = new RefusedClients();
    const guess = { client: '198.51.100.7', route: 'POST /api/auth/verify-otp', subject: '+12015550123' };
    refused.remember(guess, { retryAfterSeconds: 30, detail: 'Too many wrong codes.' });

    expect(refused.find(guess)).toEqual({ retryAfterSeconds: 30, detail: 'Too many wrong codes.' });
    expect(refused.find({ ...guess, subject: '+12015550124' })).toBeUndefined();
    expect(refused.find({ client: guess.client, route: guess.route })).toBeUndefined();
  });

  it('keeps other clients and other routes of the same client out of it', () => {
    const refused = new RefusedClients();
    refused.remember({ client: '198.51.100.7', route: 'POST /api/auth/send-otp' }, { retryAfterSeconds: 60 });

    expect(
      refused.find({ client: '198.51.100.8', route: 'POST /api/auth/send-otp' })?.retryAfterSeconds,
    ).toBeUndefined();
    expect(
      refused.find({ client: '198.51.100.7', route: 'POST /api/auth/verify-otp' })?.retryAfterSeconds,
    ).toBeUndefined();
  });

  it('forgets the oldest refusals rather than grow without bound', () => {
    const refused = new RefusedClients();
    for (let i = 0; i < 50_001; i++) {
      refused.remember({ client: `10.0.${i >> 8}.${i & 255}`, route: 'GET /x' }, { retryAfterSeconds: 60 });
    }

    expect(refused.find({ client: '10.0.0.0', route: 'GET /x' })?.retryAfterSeconds).toBeUndefined();
    expect(refused.find({ client: '10.0.195.80', route: 'GET /x' })?.retryAfterSeconds).toBe(60);
  });
});
