import { expectProblem } from './problems';
import type { TestApp } from './test-app';

export interface SignedIn {
  user: {
    id: number;
    phone_number: string;
    username: string;
    first_name: string;
    last_name: string;
    is_phone_verified: boolean;
    date_joined: string;
  };
  tokens: { access: string; refresh: string };
  is_new_user: boolean;
}

/** POSTs send-otp and returns the digits texted to the number (as the server normalised it). */
export async function requestCode(t: TestApp, phoneNumber: string): Promise<string> {
  const res = await t.api.sendOtp(phoneNumber).expect(200);
  return t.sms.lastCodeFor(res.body.phone_number as string);
}

/** The whole seed flow: send-otp, then verify-otp with the texted code, as `userAgent` if given. */
export async function signIn(t: TestApp, phoneNumber: string, userAgent?: string): Promise<SignedIn> {
  const code = await requestCode(t, phoneNumber);
  const verify = t.api.verifyOtp(phoneNumber, code);
  const res = await (userAgent === undefined ? verify : verify.set('User-Agent', userAgent)).expect(200);
  return res.body as SignedIn;
}

/** A code of the same length that is certainly not `code`. */
export function wrongCode(code: string): string {
  return code
    .split('')
    .map((digit) => String((Number(digit) + 1) % 10))
    .join('');
}

/** Sends `n` wrong guesses at `code`, one after another, and asserts each was answered 400 otp_invalid. */
export async function guessWrong(t: TestApp, phoneNumber: string, code: string, n: number): Promise<void> {
  for (let guess = 1; guess <= n; guess++) {
    expectProblem(await t.api.verifyOtp(phoneNumber, wrongCode(code)), 400, 'otp_invalid');
  }
}
