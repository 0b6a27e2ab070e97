import type request from 'supertest';
import type { Test } from 'supertest';

/** The routes as a client sends them, with the trailing slash the seed's clients use (DESIGN §4). */
export const ROUTES = {
  sendOtp: '/api/auth/send-otp/',
  verifyOtp: '/api/auth/verify-otp/',
  refresh: '/api/auth/token/refresh/',
  logout: '/api/auth/logout/',
  profile: '/api/auth/profile/',
  sessions: '/api/auth/sessions/',
  session: (id: string) => `/api/auth/sessions/${id}/`,
  reauthenticate: '/api/auth/reauthenticate/',
  reauthenticateVerify: '/api/auth/reauthenticate/verify/',
  phoneChange: '/api/auth/phone/change/',
  phoneChangeVerify: '/api/auth/phone/change/verify/',
  accountDeletion: '/api/auth/account/deletion/',
  account: '/api/auth/account/',
  recovery: '/api/auth/recovery/',
  recoveryVerify: '/api/auth/recovery/verify/',
  mfa: '/api/auth/mfa/',
  mfaTotp: '/api/auth/mfa/totp/',
  mfaTotpVerify: '/api/auth/mfa/totp/verify/',
  mfaRecoveryCodes: '/api/auth/mfa/recovery-codes/',
  mfaChallenge: '/api/auth/mfa/challenge/',
  healthLive: '/health/live',
  healthReady: '/health/ready',
  docsJson: '/api/docs-json',
  passkeys: '/api/auth/passkeys/',
  passkey: (id: string) => `/api/auth/passkeys/${id}/`,
  passkeyRegisterOptions: '/api/auth/passkeys/register/options/',
  passkeyRegisterVerify: '/api/auth/passkeys/register/verify/',
  passkeyLoginOptions: '/api/auth/passkeys/login/options/',
  passkeyLoginVerify: '/api/auth/passkeys/login/verify/',
  mfaPasskeyOptions: '/api/auth/mfa/challenge/passkey/options/',
  adminUsers: '/api/admin/users/',
  adminUser: (id: number | string) => `/api/admin/users/${id}/`,
  adminUserSessions: (id: number | string) => `/api/admin/users/${id}/sessions/`,
  adminUserSession: (id: number | string, sessionId: string) => `/api/admin/users/${id}/sessions/${sessionId}/`,
  adminAuditEvents: '/api/admin/audit-events/',
  adminAuditExport: '/api/admin/audit-events/export/',
} as const;

/** Query parameters as a client sends them; supertest encodes each (a `+` becomes %2B). */
export type Query = Record<string, string | number | boolean>;

/**
 * The API's routes as typed calls on one app. Each returns the supertest request, so a test can
 * still `.set()` headers, `.expect()` a status or hand the answer to `expectProblem()`; every
 * request goes through the app's `http()`, so every answer is checked against the OpenAPI document.
 */
export class ApiClient {
  constructor(private readonly http: () => ReturnType<typeof request>) {}

  /** `extra` goes into the body beside the number: `locale`, or a field the API must refuse. */
  sendOtp(phoneNumber: string, extra: Record<string, unknown> = {}): Test {
    return this.http()
      .post(ROUTES.sendOtp)
      .send({ phone_number: phoneNumber, ...extra });
  }

  verifyOtp(phoneNumber: string, otpCode: string): Test {
    return this.http().post(ROUTES.verifyOtp).send({ phone_number: phoneNumber, otp_code: otpCode });
  }

  /** Without a token the request carries no Authorization header. */
  profile(access?: string): Test {
    return bearer(this.http().get(ROUTES.profile), access);
  }

  updateProfile(access: string, body: object): Test {
    return bearer(this.http().patch(ROUTES.profile), access).send(body);
  }

  refresh(refresh: string): Test {
    return this.http().post(ROUTES.refresh).send({ refresh });
  }

  /** `scope`: local (the default), others or global; any other value is sent as it is, to see it refused. */
  logout(refresh: string, scope?: string): Test {
    return this.http()
      .post(ROUTES.logout)
      .send(scope === undefined ? { refresh } : { refresh, scope });
  }

  /** Without a token the request carries no Authorization header. */
  sessions(access?: string): Test {
    return bearer(this.http().get(ROUTES.sessions), access);
  }

  revokeSession(access: string, id: string): Test {
    return bearer(this.http().delete(ROUTES.session(id)), access);
  }

  /** `body`: `locale`, or a field the API must refuse. */
  reauthenticate(access: string, body: object = {}): Test {
    return bearer(this.http().post(ROUTES.reauthenticate), access).send(body);
  }

  verifyReauthentication(access: string, otpCode: string): Test {
    return bearer(this.http().post(ROUTES.reauthenticateVerify), access).send({ otp_code: otpCode });
  }

  /** `extra` goes into the body beside the number: `locale`, or a field the API must refuse. */
  requestPhoneChange(access: string, newPhoneNumber: string, extra: Record<string, unknown> = {}): Test {
    return bearer(this.http().post(ROUTES.phoneChange), access).send({ new_phone_number: newPhoneNumber, ...extra });
  }

  verifyPhoneChange(
    access: string,
    newPhoneNumber: string,
    otpCode: string,
    extra: Record<string, unknown> = {},
  ): Test {
    return bearer(this.http().post(ROUTES.phoneChangeVerify), access).send({
      new_phone_number: newPhoneNumber,
      otp_code: otpCode,
      ...extra,
    });
  }

  requestAccountDeletion(access: string, body: object = {}): Test {
    return bearer(this.http().post(ROUTES.accountDeletion), access).send(body);
  }

  deleteAccount(access: string, otpCode: string): Test {
    return bearer(this.http().delete(ROUTES.account), access).send({ otp_code: otpCode });
  }

  mfaStatus(access: string): Test {
    return bearer(this.http().get(ROUTES.mfa), access);
  }

  enrolTotp(access: string): Test {
    return bearer(this.http().post(ROUTES.mfaTotp), access).send();
  }

  activateTotp(access: string, code: string): Test {
    return bearer(this.http().post(ROUTES.mfaTotpVerify), access).send({ code });
  }

  /** `proof`: `{ totp_code }` or `{ recovery_code }` (or anything else, to see it refused). */
  removeTotp(access: string, proof: object): Test {
    return bearer(this.http().delete(ROUTES.mfaTotp), access).send(proof);
  }

  regenerateRecoveryCodes(access: string): Test {
    return bearer(this.http().post(ROUTES.mfaRecoveryCodes), access).send();
  }

  completeChallenge(mfaToken: string, proof: object): Test {
    return this.http()
      .post(ROUTES.mfaChallenge)
      .send({ mfa_token: mfaToken, ...proof });
  }

  /** Lost phone, step 1: `proof` is `{ totp_code }` or `{ recovery_code }`. */
  requestRecovery(phoneNumber: string, newPhoneNumber: string, proof: object): Test {
    return this.http()
      .post(ROUTES.recovery)
      .send({ phone_number: phoneNumber, new_phone_number: newPhoneNumber, ...proof });
  }

  verifyRecovery(phoneNumber: string, newPhoneNumber: string, otpCode: string): Test {
    return this.http()
      .post(ROUTES.recoveryVerify)
      .send({ phone_number: phoneNumber, new_phone_number: newPhoneNumber, otp_code: otpCode });
  }

  /** WebAuthn creation options (PublicKeyCredentialCreationOptionsJSON) for a new passkey of the caller. */
  passkeyRegistrationOptions(access: string): Test {
    return bearer(this.http().post(ROUTES.passkeyRegisterOptions), access).send({});
  }

  /** `response`: the RegistrationResponseJSON the authenticator answered the options with. */
  registerPasskey(access: string, name: unknown, response: object): Test {
    return bearer(this.http().post(ROUTES.passkeyRegisterVerify), access).send({ name, response });
  }

  /** Without a token the request carries no Authorization header. */
  passkeys(access?: string): Test {
    return bearer(this.http().get(ROUTES.passkeys), access);
  }

  renamePasskey(access: string, id: string, name: unknown): Test {
    return bearer(this.http().patch(ROUTES.passkey(id)), access).send({ name });
  }

  deletePasskey(access: string, id: string): Test {
    return bearer(this.http().delete(ROUTES.passkey(id)), access);
  }

  /** WebAuthn request options (PublicKeyCredentialRequestOptionsJSON) for a sign-in with a discoverable passkey. */
  passkeyLoginOptions(): Test {
    return this.http().post(ROUTES.passkeyLoginOptions).send({});
  }

  /** `response`: the AuthenticationResponseJSON the authenticator answered the options with. */
  signInWithPasskey(response: object): Test {
    return this.http().post(ROUTES.passkeyLoginVerify).send({ response });
  }

  /** Request options naming the passkeys of the user the `mfa_token` is for; answer with completeChallenge({ passkey }). */
  mfaPasskeyOptions(mfaToken: string): Test {
    return this.http().post(ROUTES.mfaPasskeyOptions).send({ mfa_token: mfaToken });
  }

  /** Admin routes take an admin token from ADMIN_API_TOKENS (or, to see it refused, anything else). */
  adminUsers(token: string | undefined, query: Query = {}): Test {
    return bearer(this.http().get(ROUTES.adminUsers), token).query(query);
  }

  adminUser(token: string | undefined, id: number | string): Test {
    return bearer(this.http().get(ROUTES.adminUser(id)), token);
  }

  /** `changes`: `is_active`, `banned_until` (ISO or null), `reason`; anything else is sent as it is. */
  updateAdminUser(token: string | undefined, id: number | string, changes: object): Test {
    return bearer(this.http().patch(ROUTES.adminUser(id)), token).send(changes);
  }

  deleteAdminUser(token: string | undefined, id: number | string): Test {
    return bearer(this.http().delete(ROUTES.adminUser(id)), token);
  }

  /** One session of the user when `sessionId` is given, else every one. */
  revokeAdminUserSessions(token: string | undefined, id: number | string, sessionId?: string): Test {
    const path = sessionId === undefined ? ROUTES.adminUserSessions(id) : ROUTES.adminUserSession(id, sessionId);
    return bearer(this.http().delete(path), token);
  }

  adminAuditEvents(token: string | undefined, query: Query = {}): Test {
    return bearer(this.http().get(ROUTES.adminAuditEvents), token).query(query);
  }

  /** The NDJSON export, its text in `res.text` (and `res.body`) whatever its length; a problem is parsed as usual. */
  exportAdminAuditEvents(token: string | undefined, query: Query = {}): Test {
    return bearer(this.http().get(ROUTES.adminAuditExport), token)
      .query(query)
      .buffer(true)
      .parse((res, callback) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          (res as unknown as { text: string }).text = text;
          const json = /^application\/(problem\+)?json\b/.test(res.headers['content-type'] ?? '');
          callback(null, json ? JSON.parse(text) : text);
        });
      });
  }
}

function bearer(test: Test, access: string | undefined): Test {
  return access === undefined ? test : test.set('Authorization', `Bearer ${access}`);
}
