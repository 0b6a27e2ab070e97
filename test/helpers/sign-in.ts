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
  const res = await t.http().post('/api/auth/send-otp/').send({ phone_number: phoneNumber }).expect(200);
  return t.sms.lastCodeFor(res.body.phone_number as string);
}

/** The whole seed flow: send-otp, then verify-otp with the texted code. */
export async function signIn(t: TestApp, phoneNumber: string): Promise<SignedIn> {
  const code = await requestCode(t, phoneNumber);
  const res = await t
    .http()
    .post('/api/auth/verify-otp/')
    .send({ phone_number: phoneNumber, otp_code: code })
    .expect(200);
  return res.body as SignedIn;
}

/** A code of the same length that is certainly not `code`. */
export function wrongCode(code: string): string {
  return code
    .split('')
    .map((digit) => String((Number(digit) + 1) % 10))
    .join('');
}
