// The two sign-in APIs the bench drives: ours (the app and the baselines B1–B5 serve the same
// routes) and better-auth's (the peer, bench/peer/). Same moves, other paths, field names, answers.
import type { BodyCheck } from './checks';

export interface AuthApi {
  paths: {
    send: string;
    verify: string;
    /** Who the bearer token speaks for: our GET profile, better-auth's get-session. */
    session: string;
  };
  /** The JSON fields send and verify take. */
  fields: { phone: string; code: string };
  checks: {
    sent: BodyCheck;
    signedIn: BodyCheck;
    session: (phone: string) => BodyCheck;
  };
  /** The token a client sends as `Authorization: Bearer …`, from verify's answer. */
  tokenOf(answer: { headers: Headers; body: unknown }): string | undefined;
}

export type RequestFields = AuthApi['fields'];

export const APP_API: AuthApi = {
  paths: { send: '/api/auth/send-otp/', verify: '/api/auth/verify-otp/', session: '/api/auth/profile/' },
  fields: { phone: 'phone_number', code: 'otp_code' },
  checks: {
    sent: { kind: 'app-sent' },
    signedIn: { kind: 'app-signed-in' },
    session: (phone) => ({ kind: 'app-user', phone }),
  },
  tokenOf: ({ body }) => (body as { tokens?: { access?: string } } | null)?.tokens?.access,
};

/**
 * better-auth with its phone-number and bearer plugins. Its bearer token is the signed session
 * token it returns in the `set-auth-token` header, as the bearer plugin's documentation says.
 */
export const PEER_API: AuthApi = {
  paths: {
    send: '/api/auth/phone-number/send-otp',
    verify: '/api/auth/phone-number/verify',
    session: '/api/auth/get-session',
  },
  fields: { phone: 'phoneNumber', code: 'code' },
  checks: {
    sent: { kind: 'peer-sent' },
    signedIn: { kind: 'peer-signed-in' },
    session: (phone) => ({ kind: 'peer-session', phone }),
  },
  tokenOf: ({ headers }) => headers.get('set-auth-token') ?? undefined,
};
