import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { runInThisContext } from 'node:vm';
import { Secret, TOTP } from 'otpauth';
import ts from 'typescript';
import { ROUTES } from './helpers/api-client';
import { OpenApiConformance, type OpenApiDocument } from './helpers/openapi-conformance';
import { SoftAuthenticator } from './helpers/soft-authenticator';
import { useTestApp } from './helpers/test-app';

/**
 * What a user of the generated client writes: the seed's flow and a little more, typed by the
 * generated `paths`. It is type-checked against the generated types, then run as it is.
 */
const FLOW = `
import createClient from 'openapi-fetch';
import type { components, paths } from './api';

type Problem = components['schemas']['ProblemDto'];
type User = components['schemas']['UserResponseDto'];
type Passkey = components['schemas']['PasskeyDto'];
type CreationOptions = components['schemas']['CreationOptionsDto'];
type RequestOptions = components['schemas']['RequestOptionsDto'];
type Credential = components['schemas']['PasskeyCredentialDto']['response'];

type Client = ReturnType<typeof createClient<paths>>;

/** Texts a code to the number and signs in with it, as a user without a second factor. */
async function signIn(client: Client, phoneNumber: string, codeFor: (e164: string) => string) {
  const sent = await client.POST('/api/auth/send-otp', { body: { phone_number: phoneNumber } });
  if (!sent.data) throw new Error('send-otp failed: ' + JSON.stringify(sent.error));
  const verified = await client.POST('/api/auth/verify-otp', {
    body: { phone_number: phoneNumber, otp_code: codeFor(sent.data.phone_number) },
  });
  if (!verified.data) throw new Error('verify-otp failed: ' + JSON.stringify(verified.error));
  if ('mfa_required' in verified.data) throw new Error('verify-otp asked for a second factor');
  return verified.data;
}

export interface FlowResult {
  sent: { phone_number: string; expires_in_seconds: number };
  user: User;
  isNewUser: boolean;
  renamed: User;
  sessionIds: string[];
  refreshed: boolean;
  logoutStatus: number;
  wrongCode: { status: number; problem: Problem | undefined };
}

export async function seedFlow(
  baseUrl: string,
  phoneNumber: string,
  codeFor: (e164: string) => string,
  fetch: typeof globalThis.fetch,
): Promise<FlowResult> {
  const client = createClient<paths>({ baseUrl, fetch });

  const sent = await client.POST('/api/auth/send-otp', { body: { phone_number: phoneNumber } });
  if (!sent.data) throw new Error('send-otp failed: ' + JSON.stringify(sent.error));

  const wrong = await client.POST('/api/auth/verify-otp', {
    body: { phone_number: phoneNumber, otp_code: '0'.repeat(codeFor(sent.data.phone_number).length) },
  });
  const wrongProblem: Problem | undefined = wrong.error;

  const verified = await client.POST('/api/auth/verify-otp', {
    body: { phone_number: phoneNumber, otp_code: codeFor(sent.data.phone_number) },
  });
  if (!verified.data) throw new Error('verify-otp failed: ' + JSON.stringify(verified.error));
  if ('mfa_required' in verified.data) throw new Error('verify-otp asked for a second factor');
  const { access, refresh } = verified.data.tokens;
  const auth = { Authorization: 'Bearer ' + access };

  const profile = await client.GET('/api/auth/profile', { headers: auth });
  if (!profile.data) throw new Error('profile failed: ' + JSON.stringify(profile.error));

  const renamed = await client.PATCH('/api/auth/profile', { headers: auth, body: { first_name: 'Ada' } });
  if (!renamed.data) throw new Error('profile update failed: ' + JSON.stringify(renamed.error));

  const sessions = await client.GET('/api/auth/sessions', { headers: auth });
  if (!sessions.data) throw new Error('sessions failed: ' + JSON.stringify(sessions.error));

  const pair = await client.POST('/api/auth/token/refresh', { body: { refresh } });
  if (!pair.data) throw new Error('refresh failed: ' + JSON.stringify(pair.error));

  const logout = await client.POST('/api/auth/logout', { body: { refresh: pair.data.refresh, scope: 'global' } });

  return {
    sent: { phone_number: sent.data.phone_number, expires_in_seconds: sent.data.expires_in_seconds },
    user: profile.data.user,
    isNewUser: verified.data.is_new_user,
    renamed: renamed.data.user,
    sessionIds: sessions.data.sessions.map((session) => session.id),
    refreshed: pair.data.access !== access,
    logoutStatus: logout.response.status,
    wrongCode: { status: wrong.response.status, problem: wrongProblem },
  };
}

export interface LifecycleResult {
  reauthenticatedAt: string;
  movedTo: string;
  sameUser: boolean;
  deleteStatus: number;
  profileAfterDeletion: number;
}

/** Sign in, re-authenticate, move to another number, then delete the account. */
export async function lifecycleFlow(
  baseUrl: string,
  phoneNumber: string,
  newPhoneNumber: string,
  codeFor: (e164: string) => string,
  fetch: typeof globalThis.fetch,
): Promise<LifecycleResult> {
  const client = createClient<paths>({ baseUrl, fetch });

  const otpSignIn = await signIn(client, phoneNumber, codeFor);
  let auth = { Authorization: 'Bearer ' + otpSignIn.tokens.access };

  const reauth = await client.POST('/api/auth/reauthenticate', { headers: auth, body: { locale: 'en' } });
  if (!reauth.data) throw new Error('reauthenticate failed: ' + JSON.stringify(reauth.error));
  const reauthenticated = await client.POST('/api/auth/reauthenticate/verify', {
    headers: auth,
    body: { otp_code: codeFor(reauth.data.phone_number) },
  });
  if (!reauthenticated.data) throw new Error('reauthenticate/verify failed: ' + JSON.stringify(reauthenticated.error));

  const change = await client.POST('/api/auth/phone/change', { headers: auth, body: { new_phone_number: newPhoneNumber } });
  if (!change.data) throw new Error('phone/change failed: ' + JSON.stringify(change.error));
  const changed = await client.POST('/api/auth/phone/change/verify', {
    headers: auth,
    body: { new_phone_number: newPhoneNumber, otp_code: codeFor(change.data.phone_number) },
  });
  if (!changed.data) throw new Error('phone/change/verify failed: ' + JSON.stringify(changed.error));
  auth = { Authorization: 'Bearer ' + changed.data.tokens.access };

  const deletion = await client.POST('/api/auth/account/deletion', { headers: auth, body: {} });
  if (!deletion.data) throw new Error('account/deletion failed: ' + JSON.stringify(deletion.error));
  const deleted = await client.DELETE('/api/auth/account', {
    headers: auth,
    body: { otp_code: codeFor(deletion.data.phone_number) },
  });
  const profile = await client.GET('/api/auth/profile', { headers: auth });

  return {
    reauthenticatedAt: reauthenticated.data.authenticated_at,
    movedTo: changed.data.user.phone_number,
    sameUser: changed.data.user.id === otpSignIn.user.id,
    deleteStatus: deleted.response.status,
    profileAfterDeletion: profile.response.status,
  };
}

export interface MfaResult {
  enrolment: { uriKind: string; secretInUri: boolean };
  recoveryCodes: number;
  statusAfterActivation: { policy: string; totp: string | undefined; recovery_codes_left: number };
  challenge: { mfa_required: true; factors: string[]; expires_in_seconds: number; tokenLength: number };
  signedIn: { isNewUser: boolean; sameUser: boolean };
  recoveryCodesLeft: number;
  profileNumber: string;
  tokenReplay: { status: number; code: Problem['code'] | undefined };
}

/**
 * Sign in, enrol an authenticator app and confirm it with a code from totpFor(secret), then sign
 * in again: verify-otp now asks for the second factor, and a recovery code completes the sign-in.
 */
export async function mfaFlow(
  baseUrl: string,
  phoneNumber: string,
  codeFor: (e164: string) => string,
  totpFor: (secret: string) => string,
  fetch: typeof globalThis.fetch,
): Promise<MfaResult> {
  const client = createClient<paths>({ baseUrl, fetch });

  const otpSignIn = await signIn(client, phoneNumber, codeFor);
  const user = otpSignIn.user;
  const auth = { Authorization: 'Bearer ' + otpSignIn.tokens.access };

  const enrolled = await client.POST('/api/auth/mfa/totp', { headers: auth });
  if (!enrolled.data) throw new Error('mfa/totp failed: ' + JSON.stringify(enrolled.error));
  const { secret } = enrolled.data;
  const uri = new URL(enrolled.data.otpauth_uri);
  const activated = await client.POST('/api/auth/mfa/totp/verify', { headers: auth, body: { code: totpFor(secret) } });
  if (!activated.data) throw new Error('mfa/totp/verify failed: ' + JSON.stringify(activated.error));
  const status = await client.GET('/api/auth/mfa', { headers: auth });
  if (!status.data) throw new Error('mfa failed: ' + JSON.stringify(status.error));

  const again = await client.POST('/api/auth/send-otp', { body: { phone_number: phoneNumber } });
  if (!again.data) throw new Error('send-otp failed: ' + JSON.stringify(again.error));
  const challenged = await client.POST('/api/auth/verify-otp', {
    body: { phone_number: phoneNumber, otp_code: codeFor(again.data.phone_number) },
  });
  if (!challenged.data) throw new Error('verify-otp failed: ' + JSON.stringify(challenged.error));
  if (!('mfa_required' in challenged.data)) throw new Error('verify-otp signed in without a second factor');
  const challenge = challenged.data;

  const completed = await client.POST('/api/auth/mfa/challenge', {
    body: { mfa_token: challenge.mfa_token, recovery_code: activated.data.recovery_codes[0] },
  });
  if (!completed.data) throw new Error('mfa/challenge failed: ' + JSON.stringify(completed.error));
  const replayed = await client.POST('/api/auth/mfa/challenge', {
    body: { mfa_token: challenge.mfa_token, recovery_code: activated.data.recovery_codes[1] },
  });
  const newAuth = { Authorization: 'Bearer ' + completed.data.tokens.access };

  const after = await client.GET('/api/auth/mfa', { headers: newAuth });
  if (!after.data) throw new Error('mfa failed: ' + JSON.stringify(after.error));
  const profile = await client.GET('/api/auth/profile', { headers: newAuth });
  if (!profile.data) throw new Error('profile failed: ' + JSON.stringify(profile.error));

  return {
    enrolment: { uriKind: uri.protocol + '//' + uri.host, secretInUri: uri.searchParams.get('secret') === secret },
    recoveryCodes: activated.data.recovery_codes.length,
    statusAfterActivation: {
      policy: status.data.policy,
      totp: status.data.totp?.status,
      recovery_codes_left: status.data.recovery_codes_left,
    },
    challenge: {
      mfa_required: challenge.mfa_required,
      factors: challenge.factors,
      expires_in_seconds: challenge.expires_in_seconds,
      tokenLength: challenge.mfa_token.length,
    },
    signedIn: { isNewUser: completed.data.is_new_user, sameUser: completed.data.user.id === user.id },
    recoveryCodesLeft: after.data.recovery_codes_left,
    profileNumber: profile.data.user.phone_number,
    tokenReplay: { status: replayed.response.status, code: replayed.error?.code },
  };
}

export interface PasskeyResult {
  registrationOptions: {
    rp: CreationOptions['rp'];
    user: { name: string; displayName: string };
    algorithms: number[];
    excluded: number;
    attestation: CreationOptions['attestation'];
    authenticatorSelection: CreationOptions['authenticatorSelection'];
  };
  registered: Passkey;
  listed: Passkey[];
  renamed: Passkey;
  signInOptions: { rpId: string; allowCredentials: number; userVerification: RequestOptions['userVerification'] };
  signedIn: { isNewUser: boolean; sameUser: boolean };
  profileNumber: string;
  deleteStatus: number;
  afterRemoval: { passkeys: number; signIn: { status: number; code: Problem['code'] | undefined } };
}

/**
 * Sign in by SMS, register a passkey (createCredential stands for navigator.credentials.create()),
 * list and rename it, sign in with it (getCredential: navigator.credentials.get()), then remove it.
 */
export async function passkeyFlow(
  baseUrl: string,
  phoneNumber: string,
  codeFor: (e164: string) => string,
  createCredential: (options: CreationOptions) => Credential,
  getCredential: (options: RequestOptions) => Credential,
  fetch: typeof globalThis.fetch,
): Promise<PasskeyResult> {
  const client = createClient<paths>({ baseUrl, fetch });

  const otpSignIn = await signIn(client, phoneNumber, codeFor);
  const user = otpSignIn.user;
  const auth = { Authorization: 'Bearer ' + otpSignIn.tokens.access };

  const creation = await client.POST('/api/auth/passkeys/register/options', { headers: auth });
  if (!creation.data) throw new Error('passkeys/register/options failed: ' + JSON.stringify(creation.error));
  const registered = await client.POST('/api/auth/passkeys/register/verify', {
    headers: auth,
    body: { name: 'Test key', response: createCredential(creation.data) },
  });
  if (!registered.data) throw new Error('passkeys/register/verify failed: ' + JSON.stringify(registered.error));
  const id = registered.data.id;

  const listed = await client.GET('/api/auth/passkeys', { headers: auth });
  if (!listed.data) throw new Error('passkeys failed: ' + JSON.stringify(listed.error));
  const renamed = await client.PATCH('/api/auth/passkeys/{id}', {
    headers: auth,
    params: { path: { id } },
    body: { name: 'MacBook Touch ID' },
  });
  if (!renamed.data) throw new Error('passkey rename failed: ' + JSON.stringify(renamed.error));

  const request = await client.POST('/api/auth/passkeys/login/options');
  if (!request.data) throw new Error('passkeys/login/options failed: ' + JSON.stringify(request.error));
  const signedIn = await client.POST('/api/auth/passkeys/login/verify', {
    body: { response: getCredential(request.data) },
  });
  if (!signedIn.data) throw new Error('passkeys/login/verify failed: ' + JSON.stringify(signedIn.error));
  const newAuth = { Authorization: 'Bearer ' + signedIn.data.tokens.access };

  const profile = await client.GET('/api/auth/profile', { headers: newAuth });
  if (!profile.data) throw new Error('profile failed: ' + JSON.stringify(profile.error));
  const removed = await client.DELETE('/api/auth/passkeys/{id}', { headers: newAuth, params: { path: { id } } });

  const remaining = await client.GET('/api/auth/passkeys', { headers: newAuth });
  if (!remaining.data) throw new Error('passkeys failed: ' + JSON.stringify(remaining.error));
  const again = await client.POST('/api/auth/passkeys/login/options');
  if (!again.data) throw new Error('passkeys/login/options failed: ' + JSON.stringify(again.error));
  const refused = await client.POST('/api/auth/passkeys/login/verify', { body: { response: getCredential(again.data) } });

  return {
    registrationOptions: {
      rp: creation.data.rp,
      user: { name: creation.data.user.name, displayName: creation.data.user.displayName },
      algorithms: creation.data.pubKeyCredParams.map((param) => param.alg),
      excluded: creation.data.excludeCredentials.length,
      attestation: creation.data.attestation,
      authenticatorSelection: creation.data.authenticatorSelection,
    },
    registered: registered.data,
    listed: listed.data.passkeys,
    renamed: renamed.data,
    signInOptions: {
      rpId: request.data.rpId,
      allowCredentials: request.data.allowCredentials.length,
      userVerification: request.data.userVerification,
    },
    signedIn: { isNewUser: signedIn.data.is_new_user, sameUser: signedIn.data.user.id === user.id },
    profileNumber: profile.data.user.phone_number,
    deleteStatus: removed.response.status,
    afterRemoval: {
      passkeys: remaining.data.passkeys.length,
      signIn: { status: refused.response.status, code: refused.error?.code },
    },
  };
}

export interface AdminResult {
  listed: AdminUser[];
  banned: AdminUser;
  profileAfterBan: { status: number; code: Problem['code'] | undefined };
  sessionsOnPage: number;
  banEvent: { type: string; actor: string | null; reason: string | null; detail: string | null } | undefined;
  userTokenOnAdmin: number;
}

type AdminUser = components['schemas']['AdminUserDto'];

/** An operator's round: find a user by number, ban them, see their token die, read the trail. */
export async function adminFlow(
  baseUrl: string,
  phoneNumber: string,
  adminToken: string,
  codeFor: (e164: string) => string,
  fetch: typeof globalThis.fetch,
): Promise<AdminResult> {
  const client = createClient<paths>({ baseUrl, fetch });
  const otpSignIn = await signIn(client, phoneNumber, codeFor);
  const userAuth = { Authorization: 'Bearer ' + otpSignIn.tokens.access };
  const admin = { Authorization: 'Bearer ' + adminToken };

  const list = await client.GET('/api/admin/users', {
    headers: admin,
    params: { query: { phone_prefix: phoneNumber, active: 'true', limit: 10 } },
  });
  if (!list.data) throw new Error('admin users failed: ' + JSON.stringify(list.error));
  const id = list.data.users[0].id;

  const banned = await client.PATCH('/api/admin/users/{id}', {
    headers: admin,
    params: { path: { id } },
    body: { banned_until: new Date(Date.now() + 3_600_000).toISOString(), reason: 'Generated client test' },
  });
  if (!banned.data) throw new Error('admin ban failed: ' + JSON.stringify(banned.error));
  const profile = await client.GET('/api/auth/profile', { headers: userAuth });

  const page = await client.GET('/api/admin/users/{id}', { headers: admin, params: { path: { id } } });
  if (!page.data) throw new Error('admin user failed: ' + JSON.stringify(page.error));
  const events = await client.GET('/api/admin/audit-events', {
    headers: admin,
    params: { query: { user_id: id, type: 'admin_user_updated' } },
  });
  if (!events.data) throw new Error('admin audit events failed: ' + JSON.stringify(events.error));
  const ban = events.data.events[0];
  const asUser = await client.GET('/api/admin/users', { headers: userAuth });

  return {
    listed: list.data.users,
    banned: banned.data.user,
    profileAfterBan: { status: profile.response.status, code: profile.error?.code },
    sessionsOnPage: page.data.sessions.length,
    banEvent: ban && { type: ban.type, actor: ban.actor, reason: ban.reason, detail: ban.detail },
    userTokenOnAdmin: asUser.response.status,
  };
}

/** Never called: the generated types must refuse these. */
export function refusedByTheTypes(client: ReturnType<typeof createClient<paths>>, id: string): void {
  // @ts-expect-error phone_number is required
  void client.POST('/api/auth/send-otp', { body: {} });
  // @ts-expect-error otp_code is a string
  void client.POST('/api/auth/verify-otp', { body: { phone_number: '+12015550123', otp_code: 123456 } });
  // @ts-expect-error no such route
  void client.GET('/api/auth/users');
  // @ts-expect-error the admin user id is an integer
  void client.GET('/api/admin/users/{id}', { params: { path: { id } } });
  // @ts-expect-error active is 'true' or 'false'
  void client.GET('/api/admin/users', { params: { query: { active: 'yes' } } });
  // @ts-expect-error the session id is a path parameter
  void client.DELETE('/api/auth/sessions/{id}', {});
  void client.DELETE('/api/auth/sessions/{id}', { params: { path: { id } } });
  // @ts-expect-error scope is one of local, others, global
  void client.POST('/api/auth/logout', { body: { refresh: 'x', scope: 'everywhere' } });
  // @ts-expect-error the new number is required
  void client.POST('/api/auth/phone/change', { body: {} });
  // @ts-expect-error the challenge needs its mfa_token
  void client.POST('/api/auth/mfa/challenge', { body: { totp_code: '123456' } });
  // @ts-expect-error the authenticator's code is a string
  void client.POST('/api/auth/mfa/totp/verify', { body: { code: 123456 } });
  // @ts-expect-error a new passkey needs its name
  void client.POST('/api/auth/passkeys/register/verify', { body: { response: {} } });
  // @ts-expect-error the credential is an object
  void client.POST('/api/auth/passkeys/login/verify', { body: { response: 'Mv3Yqa' } });
  // @ts-expect-error the passkey id is a path parameter
  void client.PATCH('/api/auth/passkeys/{id}', { body: { name: 'Key' } });
  void client.DELETE('/api/auth/passkeys/{id}', { params: { path: { id } } });
  const code: Problem['code'] = 'reauthentication_required';
  // @ts-expect-error not a documented code
  const unknownCode: Problem['code'] = 'otp_wrong';
  void [code, unknownCode];
}

/** Never called: verify-otp answers tokens or a second-factor challenge, and only narrowing tells which. */
export function refusedWithoutNarrowing(
  verified: paths['/api/auth/verify-otp']['post']['responses'][200]['content']['application/json'],
): string {
  // @ts-expect-error a second-factor challenge carries no tokens
  void verified.tokens;
  return 'mfa_required' in verified ? verified.mfa_token : verified.tokens.access;
}
`;

type SeedFlow = (
  baseUrl: string,
  phoneNumber: string,
  codeFor: (e164: string) => string,
  fetch: typeof globalThis.fetch,
) => Promise<{
  sent: { phone_number: string; expires_in_seconds: number };
  user: Record<string, unknown>;
  isNewUser: boolean;
  renamed: Record<string, unknown>;
  sessionIds: string[];
  refreshed: boolean;
  logoutStatus: number;
  wrongCode: { status: number; problem?: { code: string } };
}>;

/**
 * openapi-typescript's programmatic API, run by Node itself: the package and its dependencies are
 * ES modules, which Jest's CommonJS runtime cannot load.
 */
async function generateTypes(document: unknown): Promise<string> {
  const script = `
    import openapiTS, { astToString } from 'openapi-typescript';
    const chunks = [];
    for await (const chunk of process.stdin) chunks.push(chunk);
    process.stdout.write(astToString(await openapiTS(JSON.parse(Buffer.concat(chunks).toString()))));
  `;
  const child = promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    cwd: join(__dirname, '..'),
    maxBuffer: 16 * 1024 * 1024,
  });
  child.child.stdin?.end(JSON.stringify(document));
  return (await child).stdout;
}

/** Virtual files beside this spec, so `openapi-fetch` resolves from the project's node_modules. */
const ROOT = join(__dirname, '__generated-client__');

/** Parsed lib and node_modules declarations, shared by the type-checks of this file. */
const libraries = new Map<string, ts.SourceFile | undefined>();

/** `tsc --noEmit --strict` over in-memory files; returns the formatted diagnostics. */
function typeCheck(files: Record<string, string>, entry: string): string {
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2023,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    esModuleInterop: true,
    skipLibCheck: true,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const { fileExists, readFile, getSourceFile, directoryExists } = host;
  host.directoryExists = (dir) => dir === ROOT || (directoryExists?.call(host, dir) ?? true);
  host.fileExists = (file) => file in files || fileExists.call(host, file);
  host.readFile = (file) => files[file] ?? readFile.call(host, file);
  host.getSourceFile = (file, language, ...rest) => {
    if (file in files) return ts.createSourceFile(file, files[file], language);
    if (!libraries.has(file)) libraries.set(file, getSourceFile.call(host, file, language, ...rest));
    return libraries.get(file);
  };
  const program = ts.createProgram([entry], options, host);
  return ts.formatDiagnostics(ts.getPreEmitDiagnostics(program), {
    getCanonicalFileName: (file) => file,
    getCurrentDirectory: () => dirname(ROOT),
    getNewLine: () => '\n',
  });
}

type LifecycleFlow = (
  baseUrl: string,
  phoneNumber: string,
  newPhoneNumber: string,
  codeFor: (e164: string) => string,
  fetch: typeof globalThis.fetch,
) => Promise<{
  reauthenticatedAt: string;
  movedTo: string;
  sameUser: boolean;
  deleteStatus: number;
  profileAfterDeletion: number;
}>;

type MfaFlow = (
  baseUrl: string,
  phoneNumber: string,
  codeFor: (e164: string) => string,
  totpFor: (secret: string) => string,
  fetch: typeof globalThis.fetch,
) => Promise<{
  enrolment: { uriKind: string; secretInUri: boolean };
  recoveryCodes: number;
  statusAfterActivation: { policy: string; totp: string | undefined; recovery_codes_left: number };
  challenge: { mfa_required: true; factors: string[]; expires_in_seconds: number; tokenLength: number };
  signedIn: { isNewUser: boolean; sameUser: boolean };
  recoveryCodesLeft: number;
  profileNumber: string;
  tokenReplay: { status: number; code: string | undefined };
}>;

type PasskeyFlow = (
  baseUrl: string,
  phoneNumber: string,
  codeFor: (e164: string) => string,
  createCredential: (options: PublicKeyCredentialCreationOptionsJSON) => RegistrationResponseJSON,
  getCredential: (options: PublicKeyCredentialRequestOptionsJSON) => AuthenticationResponseJSON,
  fetch: typeof globalThis.fetch,
) => Promise<{
  registrationOptions: {
    rp: { id: string; name: string };
    user: { name: string; displayName: string };
    algorithms: number[];
    excluded: number;
    attestation: string;
    authenticatorSelection: Record<string, unknown>;
  };
  registered: Record<string, unknown>;
  listed: Record<string, unknown>[];
  renamed: Record<string, unknown>;
  signInOptions: { rpId: string; allowCredentials: number; userVerification: string };
  signedIn: { isNewUser: boolean; sameUser: boolean };
  profileNumber: string;
  deleteStatus: number;
  afterRemoval: { passkeys: number; signIn: { status: number; code: string | undefined } };
}>;

type AdminFlow = (
  baseUrl: string,
  phoneNumber: string,
  adminToken: string,
  codeFor: (e164: string) => string,
  fetch: typeof globalThis.fetch,
) => Promise<{
  listed: Record<string, unknown>[];
  banned: Record<string, unknown>;
  profileAfterBan: { status: number; code: string | undefined };
  sessionsOnPage: number;
  banEvent: { type: string; actor: string | null; reason: string | null; detail: string | null } | undefined;
  userTokenOnAdmin: number;
}>;

interface Flows {
  seedFlow: SeedFlow;
  adminFlow: AdminFlow;
  lifecycleFlow: LifecycleFlow;
  mfaFlow: MfaFlow;
  passkeyFlow: PasskeyFlow;
}

/** Compiles the flow to CommonJS and loads it the way Node loads a module. */
function load(source: string): Flows {
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2023, esModuleInterop: true },
  });
  const module = { exports: {} as Flows };
  const wrapper = runInThisContext(`(function (exports, require, module) {${outputText}\n})`) as (
    exports: object,
    load: NodeJS.Require,
    module: object,
  ) => void;
  wrapper(module.exports, require, module);
  return module.exports;
}

const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

/** The page a browser would run the WebAuthn ceremonies on. */
const PASSKEY_ORIGIN = 'http://localhost:3000';

describe('a client generated from the OpenAPI document (openapi-typescript + openapi-fetch)', () => {
  // The app listens on a random port: the origin is only what the authenticator writes into clientDataJSON.
  // With an admin token, so the document (and the client) has the admin API too.
  const app = useTestApp('sqlite', {
    env: { WEBAUTHN_RP_ID: 'localhost', WEBAUTHN_ORIGINS: PASSKEY_ORIGIN, ADMIN_API_TOKENS: `ops:${ADMIN_TOKEN}` },
  });
  let baseUrl: string;
  let document: OpenApiDocument;
  let types: string;

  beforeAll(async () => {
    await app().app.listen(0, '127.0.0.1');
    baseUrl = await app().app.getUrl();
    const res = await fetch(`${baseUrl}${ROUTES.docsJson}`);
    expect(res.status).toBe(200);
    document = (await res.json()) as OpenApiDocument;
    types = await generateTypes(document);
  });

  it('generates types for every route and every problem code', () => {
    for (const path of Object.keys(document.paths)) expect(types).toContain(`"${path}": {`);
    expect(types).toContain('"application/problem+json": components["schemas"]["ProblemDto"] & {');
    expect(types).toMatch(/code\?: "validation_failed" \| "invalid_phone_number" \| "phone_not_allowed"/);
  });

  it('type-checks a program that uses the generated types, including what they must refuse', () => {
    const entry = join(ROOT, 'flow.ts');
    const diagnostics = typeCheck({ [join(ROOT, 'api.d.ts')]: types, [entry]: FLOW }, entry);
    expect(diagnostics).toBe('');
  }, 60_000);

  it('fails the type-check when the document loses a field a client relies on', async () => {
    const broken = structuredClone(document) as OpenApiDocument & {
      components: { schemas: Record<string, { properties: Record<string, unknown>; required: string[] }> };
    };
    delete broken.components.schemas.TokensDto.properties.refresh;
    broken.components.schemas.TokensDto.required = ['access'];
    const entry = join(ROOT, 'flow.ts');
    const brokenTypes = await generateTypes(broken);
    const diagnostics = typeCheck({ [join(ROOT, 'api.d.ts')]: brokenTypes, [entry]: FLOW }, entry);
    expect(diagnostics).toContain("Property 'refresh' does not exist");
  }, 60_000);

  /** fetch that records every answer the document does not describe. */
  function conformingFetch(mismatches: string[]): typeof fetch {
    const checker = new OpenApiConformance(document);
    return async (input, init) => {
      const request = new Request(input, init);
      const response = await fetch(request);
      const text = await response.clone().text();
      const isJson = /json/.test(response.headers.get('content-type') ?? '');
      const observed = {
        status: response.status,
        headers: Object.fromEntries(response.headers),
        body: isJson && text ? (JSON.parse(text) as unknown) : undefined,
        text,
      };
      const mismatch = checker.check(request.method, request.url, observed);
      if (mismatch) mismatches.push(mismatch);
      return response;
    };
  }

  it('runs the seed flow against the listening app, every response matching the document', async () => {
    const mismatches: string[] = [];
    const { seedFlow } = load(FLOW);
    const codeFor = (e164: string) => app().sms.lastCodeFor(e164);
    const result = await seedFlow(baseUrl, '+1 (201) 555-0180', codeFor, conformingFetch(mismatches));

    expect(mismatches).toEqual([]);
    expect(result.sent).toEqual({ phone_number: '+12015550180', expires_in_seconds: 300 });
    expect(result.wrongCode).toEqual({ status: 400, problem: expect.objectContaining({ code: 'otp_invalid' }) });
    expect(result.isNewUser).toBe(true);
    expect(result.user).toEqual(expect.objectContaining({ phone_number: '+12015550180', first_name: '' }));
    expect(result.renamed).toEqual(expect.objectContaining({ id: result.user.id, first_name: 'Ada' }));
    expect(result.sessionIds).toHaveLength(1);
    expect(result.refreshed).toBe(true);
    expect(result.logoutStatus).toBe(204);
  });

  it('runs the account lifecycle (re-authenticate, change the number, delete) through the generated client', async () => {
    const mismatches: string[] = [];
    const { lifecycleFlow } = load(FLOW);
    const codeFor = (e164: string) => app().sms.lastCodeFor(e164);
    const result = await lifecycleFlow(baseUrl, '+12015550181', '+12015550182', codeFor, conformingFetch(mismatches));

    expect(mismatches).toEqual([]);
    expect(result).toEqual({
      reauthenticatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      movedTo: '+12015550182',
      sameUser: true,
      deleteStatus: 204,
      profileAfterDeletion: 401,
    });
  });

  it('runs enrolment of an authenticator app and a second-factor sign-in through the generated client', async () => {
    const mismatches: string[] = [];
    const { mfaFlow } = load(FLOW);
    const codeFor = (e164: string) => app().sms.lastCodeFor(e164);
    const totpFor = (secret: string) =>
      new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({
        timestamp: Date.now(),
      });
    const result = await mfaFlow(baseUrl, '+12015550183', codeFor, totpFor, conformingFetch(mismatches));

    expect(mismatches).toEqual([]);
    expect(result).toEqual({
      enrolment: { uriKind: 'otpauth://totp', secretInUri: true },
      recoveryCodes: 10,
      statusAfterActivation: { policy: 'optional', totp: 'active', recovery_codes_left: 10 },
      challenge: { mfa_required: true, factors: ['totp', 'recovery_code'], expires_in_seconds: 300, tokenLength: 43 },
      signedIn: { isNewUser: false, sameUser: true },
      recoveryCodesLeft: 9,
      profileNumber: '+12015550183',
      tokenReplay: { status: 401, code: 'mfa_token_invalid' },
    });
  });

  it('runs registering a passkey, managing it, signing in with it and removing it through the generated client', async () => {
    const mismatches: string[] = [];
    const { passkeyFlow } = load(FLOW);
    const codeFor = (e164: string) => app().sms.lastCodeFor(e164);
    const authenticator = new SoftAuthenticator();
    const result = await passkeyFlow(
      baseUrl,
      '+12015550184',
      codeFor,
      (options) => authenticator.register(options, PASSKEY_ORIGIN),
      (options) => authenticator.assert(options, PASSKEY_ORIGIN),
      conformingFetch(mismatches),
    );

    expect(mismatches).toEqual([]);
    const registered = {
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
      name: 'Test key',
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      last_used_at: null,
      backed_up: false,
      device_type: 'singleDevice',
    };
    expect(result).toEqual({
      registrationOptions: {
        rp: { id: 'localhost', name: 'Phone OTP Auth' },
        user: { name: '+12015550184', displayName: '+12015550184' },
        algorithms: [-7, -8, -257],
        excluded: 0,
        attestation: 'none',
        authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
      },
      registered,
      listed: [result.registered],
      renamed: { ...result.registered, name: 'MacBook Touch ID' },
      signInOptions: { rpId: 'localhost', allowCredentials: 0, userVerification: 'required' },
      signedIn: { isNewUser: false, sameUser: true },
      profileNumber: '+12015550184',
      deleteStatus: 204,
      afterRemoval: { passkeys: 0, signIn: { status: 401, code: 'passkey_rejected' } },
    });
  });

  it('runs an admin finding a user, banning them and reading the trail through the generated client', async () => {
    const mismatches: string[] = [];
    const { adminFlow } = load(FLOW);
    const codeFor = (e164: string) => app().sms.lastCodeFor(e164);
    const result = await adminFlow(baseUrl, '+12015550185', ADMIN_TOKEN, codeFor, conformingFetch(mismatches));

    expect(mismatches).toEqual([]);
    expect(result.listed).toEqual([expect.objectContaining({ phone_masked: '+1201*****85', is_active: true })]);
    expect(result.banned).toEqual(
      expect.objectContaining({ banned_until: expect.any(String), disabled_reason: 'Generated client test' }),
    );
    expect(JSON.stringify(result)).not.toContain('2015550185');
    expect(result).toEqual(
      expect.objectContaining({
        profileAfterBan: { status: 401, code: 'unauthorized' },
        sessionsOnPage: 1,
        banEvent: { type: 'admin_user_updated', actor: 'ops', reason: 'banned', detail: 'Generated client test' },
        userTokenOnAdmin: 401,
      }),
    );
  });
});
