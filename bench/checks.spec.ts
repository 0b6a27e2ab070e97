import { APP_API, PEER_API } from './apis';
import { checkAnswer, describeWrongAnswer, type Answer, type BodyCheck } from './checks';

const PHONE = '+12015550123';

function answer(status: number, body: unknown, contentType = 'application/json; charset=utf-8'): Answer {
  return {
    status,
    headers: { 'Content-Type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
}

const appUser = { id: 7, phone_number: PHONE, username: PHONE, first_name: '', last_name: '' };
const peerUser = { id: 'u1', phoneNumber: PHONE, phoneNumberVerified: true, email: '12015550123@phone.invalid' };

describe('checkAnswer on the success paths', () => {
  it('accepts our answers that name the phone the request carried', () => {
    const sent = { message: 'OTP sent successfully', phone_number: PHONE, expires_in_seconds: 300 };
    const signedIn = {
      message: 'Authentication successful',
      user: appUser,
      tokens: { access: 'a.b.c', refresh: 'd.e.f' },
    };

    expect(checkAnswer(APP_API.checks.sent, answer(200, sent), PHONE)).toBeUndefined();
    expect(checkAnswer(APP_API.checks.signedIn, answer(200, signedIn), PHONE)).toBeUndefined();
    expect(checkAnswer(APP_API.checks.session(PHONE), answer(200, { user: appUser }))).toBeUndefined();
  });

  it('refuses our answers for another phone, without tokens, or with another status', () => {
    const sent = { message: 'OTP sent successfully', phone_number: '+12015550999' };

    expect(checkAnswer(APP_API.checks.sent, answer(200, sent), PHONE)).toMatch(/phone_number \+12015550999/);
    expect(checkAnswer(APP_API.checks.signedIn, answer(200, { user: appUser, tokens: {} }), PHONE)).toBe('no tokens');
    expect(checkAnswer(APP_API.checks.session(PHONE), answer(401, { code: 'unauthorized' }))).toBe('status 401');
  });

  it("accepts better-auth's answers, and refuses its 200 `null` for a token it did not accept", () => {
    const session = { session: { userId: 'u1', token: 't' }, user: peerUser };
    const check = PEER_API.checks.session(PHONE);

    expect(checkAnswer(check, answer(200, session))).toBeUndefined();
    expect(checkAnswer(check, answer(200, 'null'))).toBe('not a JSON object');
    expect(checkAnswer(check, answer(200, { ...session, session: { userId: 'u2' } }))).toBe('no session');
    expect(checkAnswer(PEER_API.checks.sent, answer(200, { message: 'code sent' }))).toBeUndefined();
    expect(
      checkAnswer(PEER_API.checks.signedIn, answer(200, { status: true, token: 't', user: peerUser }), PHONE),
    ).toBeUndefined();
    expect(checkAnswer(PEER_API.checks.signedIn, answer(400, { code: 'INVALID_OTP' }), PHONE)).toBe('status 400');
  });

  it('refuses a body that is not JSON', () => {
    expect(checkAnswer(APP_API.checks.sent, answer(200, '<html>'), PHONE)).toBe('not a JSON object');
  });
});

describe('checkAnswer on refusals', () => {
  const refusals: BodyCheck = {
    kind: 'problem',
    answers: [
      { status: 400, code: 'otp_invalid' },
      { status: 429, code: 'otp_attempts_exceeded' },
    ],
  };
  const problem = (status: number, code: string) => answer(status, { status, code }, 'application/problem+json');

  it('accepts a problem document with an expected status and code', () => {
    expect(checkAnswer(refusals, problem(400, 'otp_invalid'))).toBeUndefined();
    expect(checkAnswer(refusals, problem(429, 'otp_attempts_exceeded'))).toBeUndefined();
  });

  it('refuses a success, a code expected with another status, and plain JSON', () => {
    expect(checkAnswer(refusals, answer(200, { user: appUser }))).toBe('status 200');
    expect(checkAnswer(refusals, problem(429, 'otp_invalid'))).toBe('code otp_invalid');
    expect(checkAnswer(refusals, answer(400, { status: 400, code: 'otp_invalid' }))).toBe(
      'not application/problem+json',
    );
  });
});

describe('describeWrongAnswer', () => {
  it('keeps the status and the start of a long body', () => {
    const long = answer(500, 'x'.repeat(500));

    expect(describeWrongAnswer('status 500', long)).toBe(`status 500 (500 ${'x'.repeat(160)}…)`);
  });
});
