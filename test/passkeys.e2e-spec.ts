import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type WebAuthnCredential,
} from '@simplewebauthn/server';
import { Secret, TOTP } from 'otpauth';
import type { Response, Test } from 'supertest';
import type { DataSource } from 'typeorm';
import { Passkey } from '../src/passkeys/passkey.entity';
import { WebAuthnChallenge } from '../src/passkeys/webauthn-challenge.entity';
import { ROUTES } from './helpers/api-client';
import { useClock } from './helpers/clock';
import { dialects } from './helpers/databases';
import { updateUser } from './helpers/db-rows';
import { expectProblem } from './helpers/problems';
import { sessionRowOf, sessionRowsOfUser } from './helpers/sessions';
import { requestCode, signIn, type SignedIn } from './helpers/sign-in';
import { SoftAuthenticator, type AssertionOverrides, type RegistrationOverrides } from './helpers/soft-authenticator';
import { useTestApp, type TestApp } from './helpers/test-app';

const RP_ID = 'localhost';
const ORIGIN = 'http://localhost:3000';

describe('the software authenticator, checked by @simplewebauthn/server itself', () => {
  const registrationOptions = (userName = '+12015550700'): Promise<PublicKeyCredentialCreationOptionsJSON> =>
    generateRegistrationOptions({
      rpName: 'Phone OTP Auth',
      rpID: RP_ID,
      userName,
      attestationType: 'none',
      authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
    });
  const verifyRegistration = (options: PublicKeyCredentialCreationOptionsJSON, response: unknown) =>
    verifyRegistrationResponse({
      response: response as Parameters<typeof verifyRegistrationResponse>[0]['response'],
      expectedChallenge: options.challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      requireUserVerification: true,
    });

  /** A credential registered and verified, as the server would keep it. */
  async function registered(authenticator: SoftAuthenticator): Promise<WebAuthnCredential> {
    const options = await registrationOptions();
    const { registrationInfo } = await verifyRegistration(options, authenticator.register(options, ORIGIN));
    return registrationInfo!.credential;
  }
  const loginOptions = () => generateAuthenticationOptions({ rpID: RP_ID, userVerification: 'required' });
  const verifyLogin = (
    options: { challenge: string },
    response: Parameters<typeof verifyAuthenticationResponse>[0]['response'],
    credential: WebAuthnCredential,
  ) =>
    verifyAuthenticationResponse({
      response,
      expectedChallenge: options.challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      credential,
      requireUserVerification: true,
    });

  describe('registration', () => {
    it('produces a "none" attestation of a user-verified ES256 credential that the library accepts', async () => {
      const authenticator = new SoftAuthenticator();
      const options = await registrationOptions();

      const response = authenticator.register(options, ORIGIN);

      const result = await verifyRegistration(options, response);
      expect(result.verified).toBe(true);
      expect(result.registrationInfo).toMatchObject({
        fmt: 'none',
        userVerified: true,
        credentialDeviceType: 'singleDevice',
        credentialBackedUp: false,
        origin: ORIGIN,
        rpID: RP_ID,
        credential: { id: response.id, counter: 0 },
      });
      expect(Buffer.from(result.registrationInfo!.credential.publicKey)).toEqual(
        authenticator.credential(response.id).publicKey,
      );
      expect(authenticator.credential(response.id)).toMatchObject({ rpId: RP_ID, userHandle: options.user.id });
    });

    it('reports a synced credential as backed up, multiDevice', async () => {
      const options = await registrationOptions();
      const response = new SoftAuthenticator({ backedUp: true }).register(options, ORIGIN);

      await expect(verifyRegistration(options, response)).resolves.toMatchObject({
        registrationInfo: { credentialDeviceType: 'multiDevice', credentialBackedUp: true },
      });
    });

    it.each([
      ['another origin', { origin: 'https://evil.example' }, /origin/],
      ['another RP ID in authenticatorData', { rpId: 'evil.example' }, /RP ID/],
      ['no user verification', { userVerified: false }, /User verification/],
      ['another challenge', { challenge: Buffer.from('not the one').toString('base64url') }, /challenge/],
    ])('is refused by the library with %s', async (_, overrides, message) => {
      const options = await registrationOptions();
      const response = new SoftAuthenticator().register(options, ORIGIN, overrides);

      await expect(verifyRegistration(options, response)).rejects.toThrow(message);
    });

    it('refuses, like a real authenticator, to register when it holds one of excludeCredentials', async () => {
      const authenticator = new SoftAuthenticator();
      const first = await registered(authenticator);
      const options = await generateRegistrationOptions({
        rpName: 'Phone OTP Auth',
        rpID: RP_ID,
        userName: '+12015550700',
        excludeCredentials: [{ id: first.id }],
      });

      expect(() => authenticator.register(options, ORIGIN)).toThrow(/InvalidStateError/);
      const again = authenticator.register(options, ORIGIN, { credentialId: first.id });
      await expect(verifyRegistration(options, again)).resolves.toMatchObject({
        registrationInfo: { credential: { id: first.id } },
      });
    });
  });

  describe('authentication', () => {
    it('signs a discoverable assertion the library accepts, with the user handle and a counter that goes up', async () => {
      const authenticator = new SoftAuthenticator();
      const credential = await registered(authenticator);
      const options = await loginOptions();
      expect(options.allowCredentials).toBeUndefined();

      const response = authenticator.assert(options, ORIGIN);

      expect(response.response.userHandle).toBe(authenticator.credential(credential.id).userHandle);
      await expect(verifyLogin(options, response, credential)).resolves.toMatchObject({
        verified: true,
        authenticationInfo: { credentialID: credential.id, newCounter: 1, userVerified: true, origin: ORIGIN },
      });
      const next = authenticator.assert(await loginOptions(), ORIGIN);
      expect(Buffer.from(next.response.authenticatorData, 'base64url').readUInt32BE(33)).toBe(2);
    });

    it('uses the credential allowCredentials names, and none of another RP', async () => {
      const authenticator = new SoftAuthenticator();
      const older = await registered(authenticator);
      await registered(new SoftAuthenticator());
      const newer = await registered(authenticator);
      expect(authenticator.credentials).toHaveLength(2);

      const discoverable = authenticator.assert(await loginOptions(), ORIGIN);
      const allowOlder = await generateAuthenticationOptions({ rpID: RP_ID, allowCredentials: [{ id: older.id }] });
      const otherRp = await generateAuthenticationOptions({ rpID: 'example.com' });

      expect(discoverable.id).toBe(newer.id);
      await expect(verifyLogin(allowOlder, authenticator.assert(allowOlder, ORIGIN), older)).resolves.toMatchObject({
        verified: true,
      });
      expect(() => authenticator.assert(otherRp, 'https://example.com')).toThrow(/NotAllowedError/);
    });

    it.each([
      ['another origin', { origin: 'https://evil.example' }, /origin/],
      ['another RP ID in authenticatorData', { rpId: 'evil.example' }, /RP ID/],
      ['no user verification', { userVerified: false }, /User verification/],
      ['another challenge', { challenge: Buffer.from('not the one').toString('base64url') }, /challenge/],
    ])('is refused by the library with %s', async (_, overrides, message) => {
      const authenticator = new SoftAuthenticator();
      const credential = await registered(authenticator);
      const options = await loginOptions();

      await expect(verifyLogin(options, authenticator.assert(options, ORIGIN, overrides), credential)).rejects.toThrow(
        message,
      );
    });

    it('is refused by the library when it replays an older counter, as a clone would', async () => {
      const authenticator = new SoftAuthenticator();
      const credential = await registered(authenticator);
      for (let i = 0; i < 3; i++) authenticator.assert(await loginOptions(), ORIGIN);
      const options = await loginOptions();

      const clone = authenticator.assert(options, ORIGIN, { counter: 2 });

      await expect(verifyLogin(options, clone, { ...credential, counter: 3 })).rejects.toThrow(/counter/);
      expect(authenticator.credential(credential.id).signCount).toBe(3);
    });

    it('is refused by the library when another key signed for this credential id', async () => {
      const authenticator = new SoftAuthenticator();
      const credential = await registered(authenticator);
      const other = await registered(new SoftAuthenticator());
      const options = await loginOptions();

      const response = authenticator.assert(options, ORIGIN);

      await expect(verifyLogin(options, response, { ...other, id: credential.id })).resolves.toMatchObject({
        verified: false,
      });
    });
  });
});

const MINUTE = 60_000;
const SEED_BODY_KEYS = ['is_new_user', 'message', 'tokens', 'user'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Signs in by SMS, then registers a passkey of `authenticator` (a new one by default) named `name`. */
async function withPasskey(
  t: TestApp,
  phoneNumber: string,
  authenticator = new SoftAuthenticator(),
  name = 'Laptop',
): Promise<SignedIn & { authenticator: SoftAuthenticator; passkey: PasskeyDto }> {
  const signedIn = await signIn(t, phoneNumber);
  const passkey = await addPasskey(t, signedIn.tokens.access, authenticator, name);
  return { ...signedIn, authenticator, passkey };
}

/** Runs a registration ceremony for the signed-in caller; returns the 201 body. */
async function addPasskey(t: TestApp, access: string, authenticator: SoftAuthenticator, name = 'Laptop') {
  const options = await creationOptions(t, access);
  const res = await t.api.registerPasskey(access, name, authenticator.register(options, ORIGIN)).expect(201);
  return res.body as PasskeyDto;
}

async function creationOptions(t: TestApp, access: string): Promise<PublicKeyCredentialCreationOptionsJSON> {
  return (await t.api.passkeyRegistrationOptions(access).expect(200)).body as PublicKeyCredentialCreationOptionsJSON;
}

async function requestOptions(t: TestApp): Promise<PublicKeyCredentialRequestOptionsJSON> {
  return (await t.api.passkeyLoginOptions().expect(200)).body as PublicKeyCredentialRequestOptionsJSON;
}

/** A sign-in ceremony with `authenticator` from fresh options, the assertion bent by `overrides`. */
async function passkeySignIn(
  t: TestApp,
  authenticator: SoftAuthenticator,
  overrides: AssertionOverrides = {},
): Promise<Response> {
  return t.api.signInWithPasskey(authenticator.assert(await requestOptions(t), ORIGIN, overrides));
}

/** A sign-in ceremony that must succeed; returns the 200 body. */
async function signInWithPasskey(t: TestApp, authenticator: SoftAuthenticator): Promise<SignedIn> {
  const res = await passkeySignIn(t, authenticator);
  expect({ status: res.status, body: res.body }).toMatchObject({ status: 200 });
  return res.body as SignedIn;
}

function passkeyRow(db: DataSource, id: string): Promise<Passkey | null> {
  return db.getRepository(Passkey).findOneBy({ id });
}

interface PasskeyDto {
  id: string;
  name: string;
  created_at: string;
  last_used_at: string | null;
  backed_up: boolean;
  device_type: 'singleDevice' | 'multiDevice';
}

/** send-otp and verify-otp for a user with a second factor: returns the answer asking for it. */
async function startSignIn(t: TestApp, phoneNumber: string): Promise<{ mfa_token: string; factors: string[] }> {
  const code = await requestCode(t, phoneNumber);
  const res = await t.api.verifyOtp(phoneNumber, code).expect(200);
  expect(res.body).toMatchObject({ mfa_required: true });
  return res.body as { mfa_token: string; factors: string[] };
}

/** Enrols and activates an authenticator app for a signed-in user. */
async function enrolTotp(t: TestApp, access: string): Promise<string[]> {
  const { body } = await t.api.enrolTotp(access).expect(200);
  const code = TOTP.generate({ secret: Secret.fromBase32(body.secret as string) });
  return (await t.api.activateTotp(access, code).expect(200)).body.recovery_codes as string[];
}

describe.each(dialects())('passkeys on %s', (dialect) => {
  const app = useTestApp(dialect, { env: { WEBAUTHN_RP_ID: RP_ID, WEBAUTHN_ORIGINS: ORIGIN } });
  const clock = useClock();

  describe('registration', () => {
    it('hands the signed-in user creation options for a discoverable, user-verified credential, and keeps the challenge', async () => {
      const t = app();
      const alice = await signIn(t, '+12015550701');
      const bob = await signIn(t, '+12015550702');

      const options = await creationOptions(t, alice.tokens.access);

      expect(options).toMatchObject({
        rp: { id: RP_ID, name: 'Phone OTP Auth' },
        user: { id: expect.stringMatching(/^[\w-]+$/), name: '+12015550701', displayName: '+12015550701' },
        challenge: expect.stringMatching(/^[\w-]{16,}$/),
        timeout: expect.any(Number),
        attestation: 'none',
        excludeCredentials: [],
        authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
      });
      expect(options.pubKeyCredParams.map((param) => param.alg)).toEqual(expect.arrayContaining([-7, -8, -257]));
      const handle = Buffer.from(options.user.id, 'base64url').toString('latin1');
      expect(handle).not.toContain('2015550701');
      expect(handle).not.toBe(String(alice.user.id));
      expect((await creationOptions(t, alice.tokens.access)).user.id).toBe(options.user.id);
      expect((await creationOptions(t, bob.tokens.access)).user.id).not.toBe(options.user.id);
      const challenge = await t.db.getRepository(WebAuthnChallenge).findOneByOrFail({ challenge: options.challenge });
      expect(challenge).toMatchObject({
        ceremony: 'registration',
        userId: alice.user.id,
        consumedAt: null,
        expiresAt: new Date(Date.now() + 5 * MINUTE),
      });
    });

    it('stores the verified credential’s public key and nothing private, and answers the passkey', async () => {
      const t = app();
      const alice = await signIn(t, '+12015550703');
      const authenticator = new SoftAuthenticator();
      const options = await creationOptions(t, alice.tokens.access);
      const response = authenticator.register(options, ORIGIN);

      const res = await t.api.registerPasskey(alice.tokens.access, 'Work laptop', response).expect(201);

      expect(res.body).toEqual({
        id: expect.stringMatching(UUID),
        name: 'Work laptop',
        created_at: new Date().toISOString(),
        last_used_at: null,
        backed_up: false,
        device_type: 'singleDevice',
      });
      const credential = authenticator.credential(response.id);
      expect(await passkeyRow(t.db, res.body.id)).toMatchObject({
        userId: alice.user.id,
        credentialId: response.id,
        publicKey: credential.publicKey.toString('base64url'),
        counter: 0,
        deviceType: 'singleDevice',
        backedUp: false,
        name: 'Work laptop',
        lastUsedAt: null,
        clonedAt: null,
      });
      const stored = JSON.stringify(await t.db.query<object[]>('SELECT * FROM passkeys'));
      const { d } = credential.privateKey.export({ format: 'jwk' });
      const pkcs8 = credential.privateKey.export({ format: 'der', type: 'pkcs8' });
      for (const secret of [d!, Buffer.from(d!, 'base64url').toString('hex'), pkcs8.toString('base64')]) {
        expect(stored).not.toContain(secret);
      }
      expect(
        (await t.db.getRepository(WebAuthnChallenge).findOneByOrFail({ challenge: options.challenge })).consumedAt,
      ).toEqual(new Date());
    });

    it('reports a synced passkey as backed up, multiDevice', async () => {
      const t = app();
      const alice = await withPasskey(t, '+12015550704', new SoftAuthenticator({ backedUp: true }));

      expect(alice.passkey).toMatchObject({ backed_up: true, device_type: 'multiDevice' });
      expect(await passkeyRow(t.db, alice.passkey.id)).toMatchObject({ backedUp: true, deviceType: 'multiDevice' });
    });

    it('takes names of 1 to 64 characters; a refused name spends no challenge', async () => {
      const t = app();
      const alice = await signIn(t, '+12015550705');
      const response = new SoftAuthenticator().register(await creationOptions(t, alice.tokens.access), ORIGIN);

      for (const name of ['', 'x'.repeat(65), 42, null, undefined, '   ']) {
        const res = await t.api.registerPasskey(alice.tokens.access, name, response);
        expectProblem(res, 400, 'validation_failed');
      }
      expectProblem(
        await bearer(t.http().post(ROUTES.passkeyRegisterVerify), alice.tokens.access).send({ name: 'Phone' }),
        400,
        'validation_failed',
      );

      const res = await t.api.registerPasskey(alice.tokens.access, 'é'.repeat(64), response).expect(201);
      expect(res.body.name).toBe('é'.repeat(64));
      expect(await t.db.getRepository(Passkey).countBy({ userId: alice.user.id })).toBe(1);
    });

    it('lists the user’s passkeys in excludeCredentials, so an authenticator that holds one refuses to make another', async () => {
      const t = app();
      const laptop = new SoftAuthenticator();
      const phone = new SoftAuthenticator();
      const alice = await withPasskey(t, '+12015550706', laptop);
      await addPasskey(t, alice.tokens.access, phone, 'Phone');

      const options = await creationOptions(t, alice.tokens.access);

      expect(options.excludeCredentials!.map((descriptor) => descriptor.id).sort()).toEqual(
        [laptop.credentials[0].id, phone.credentials[0].id].sort(),
      );
      expect(options.excludeCredentials!.every((descriptor) => descriptor.type === 'public-key')).toBe(true);
      expect(() => laptop.register(options, ORIGIN)).toThrow(/InvalidStateError/);
    });

    it('refuses a credential registered already, to its owner or anyone else: 409, one row', async () => {
      const t = app();
      const alice = await withPasskey(t, '+12015550707');
      const bob = await signIn(t, '+12015550708');
      const credentialId = alice.authenticator.credentials[0].id;

      for (const who of [alice, bob]) {
        const options = await creationOptions(t, who.tokens.access);
        const again = alice.authenticator.register(options, ORIGIN, { credentialId });
        const res = await t.api.registerPasskey(who.tokens.access, 'Again', again);
        expectProblem(res, 409, 'passkey_already_registered');
      }

      expect(await t.db.getRepository(Passkey).findBy({ credentialId })).toEqual([
        expect.objectContaining({ userId: alice.user.id, name: 'Laptop' }),
      ]);
    });

    it.each<[string, (o: { challenge: string; other: string }) => RegistrationOverrides]>([
      ['from another origin', () => ({ origin: 'https://evil.example' })],
      ['from an origin not configured', () => ({ origin: 'http://localhost:3001' })],
      ['for another RP ID', () => ({ rpId: 'example.com' })],
      ['without user verification', () => ({ userVerified: false })],
      ['to a challenge never handed out', () => ({ challenge: Buffer.from('made up').toString('base64url') })],
      ['to another user’s challenge', ({ other }) => ({ challenge: other })],
    ])('refuses a registration %s: 400 passkey_invalid, nothing stored', async (_, overrides) => {
      const t = app();
      const alice = await signIn(t, '+12015550709');
      const bob = await signIn(t, '+12015550710');
      const options = await creationOptions(t, alice.tokens.access);
      const other = (await creationOptions(t, bob.tokens.access)).challenge;

      const response = new SoftAuthenticator().register(
        options,
        ORIGIN,
        overrides({ challenge: options.challenge, other }),
      );

      expectProblem(await t.api.registerPasskey(alice.tokens.access, 'Laptop', response), 400, 'passkey_invalid');
      expect(await t.db.getRepository(Passkey).countBy({ userId: alice.user.id })).toBe(0);
    });

    it('refuses a registration to a challenge already used, expired, or handed out for a sign-in', async () => {
      const t = app();
      const alice = await withPasskey(t, '+12015550711');
      const used = (
        await t.db.getRepository(WebAuthnChallenge).findOneByOrFail({ userId: alice.user.id, ceremony: 'registration' })
      ).challenge;
      const signInChallenge = (await requestOptions(t)).challenge;
      const expiring = await creationOptions(t, alice.tokens.access);
      clock.advance(5 * MINUTE + 1000);

      for (const challenge of [used, signInChallenge, expiring.challenge]) {
        const response = new SoftAuthenticator().register(expiring, ORIGIN, { challenge });
        expectProblem(await t.api.registerPasskey(alice.tokens.access, 'Phone', response), 400, 'passkey_invalid');
      }
      expect(await t.db.getRepository(Passkey).countBy({ userId: alice.user.id })).toBe(1);
    });

    it('needs a bearer token and a recent authentication, for the options and for the verification', async () => {
      const t = app();
      const alice = await signIn(t, '+12015550712');
      const options = await creationOptions(t, alice.tokens.access);
      expectProblem(await t.http().post(ROUTES.passkeyRegisterOptions).send({}), 401, 'unauthorized');

      clock.advance(11 * MINUTE);

      expectProblem(await t.api.passkeyRegistrationOptions(alice.tokens.access), 401, 'reauthentication_required');
      const response = new SoftAuthenticator().register(options, ORIGIN);
      expectProblem(
        await t.api.registerPasskey(alice.tokens.access, 'Laptop', response),
        401,
        'reauthentication_required',
      );
      expect(await t.db.getRepository(Passkey).countBy({ userId: alice.user.id })).toBe(0);
    });
  });

  describe('managing passkeys', () => {
    it('lists the caller’s passkeys, newest first, and no one else’s', async () => {
      const t = app();
      const alice = await withPasskey(t, '+12015550721');
      clock.advance(1000);
      const second = await addPasskey(t, alice.tokens.access, new SoftAuthenticator(), 'Phone');
      const bob = await withPasskey(t, '+12015550722');

      expect((await t.api.passkeys(alice.tokens.access).expect(200)).body).toEqual({
        passkeys: [second, alice.passkey],
      });
      expect((await t.api.passkeys(bob.tokens.access).expect(200)).body).toEqual({ passkeys: [bob.passkey] });
      expectProblem(await t.api.passkeys(), 401, 'unauthorized');
    });

    it('renames a passkey of the caller; another user’s is not found and keeps its name', async () => {
      const t = app();
      const alice = await withPasskey(t, '+12015550723');
      const bob = await signIn(t, '+12015550724');

      const res = await t.api.renamePasskey(alice.tokens.access, alice.passkey.id, 'Old laptop').expect(200);

      expect(res.body).toEqual({ ...alice.passkey, name: 'Old laptop' });
      expect(await passkeyRow(t.db, alice.passkey.id)).toMatchObject({ name: 'Old laptop' });
      expectProblem(await t.api.renamePasskey(bob.tokens.access, alice.passkey.id, 'Mine'), 404, 'not_found');
      for (const name of ['', '   ']) {
        expectProblem(await t.api.renamePasskey(alice.tokens.access, alice.passkey.id, name), 400, 'validation_failed');
      }
      expectProblem(
        await t.api.renamePasskey(alice.tokens.access, alice.passkey.id, 'x'.repeat(65)),
        400,
        'validation_failed',
      );
      expect(await passkeyRow(t.db, alice.passkey.id)).toMatchObject({ name: 'Old laptop' });
    });

    it('deletes a passkey of the caller with a recent authentication; another user’s is not found', async () => {
      const t = app();
      const alice = await withPasskey(t, '+12015550725');
      const bob = await signIn(t, '+12015550726');
      expectProblem(await t.api.deletePasskey(bob.tokens.access, alice.passkey.id), 404, 'not_found');
      clock.advance(11 * MINUTE);
      expectProblem(await t.api.deletePasskey(alice.tokens.access, alice.passkey.id), 401, 'reauthentication_required');
      expect(await passkeyRow(t.db, alice.passkey.id)).not.toBeNull();

      const fresh = await signInAgain(t, alice);
      await t.api.deletePasskey(fresh, alice.passkey.id).expect(204);

      expect(await passkeyRow(t.db, alice.passkey.id)).toBeNull();
      expectProblem(await t.api.deletePasskey(fresh, alice.passkey.id), 404, 'not_found');
      expect((await t.api.passkeys(fresh).expect(200)).body).toEqual({ passkeys: [] });
    });

    it('erases the passkeys and open challenges with the account', async () => {
      const t = app();
      const alice = await withPasskey(t, '+12015550727');
      await creationOptions(t, alice.tokens.access);
      await t.api.requestAccountDeletion(alice.tokens.access).expect(200);
      await t.api.deleteAccount(alice.tokens.access, t.sms.lastCodeFor('+12015550727')).expect(204);

      expect(await t.db.getRepository(Passkey).countBy({ userId: alice.user.id })).toBe(0);
      expect(await t.db.getRepository(WebAuthnChallenge).countBy({ userId: alice.user.id })).toBe(0);
      expectProblem(await passkeySignIn(t, alice.authenticator), 401, 'passkey_rejected');
    });
  });

  describe('signing in with a passkey', () => {
    it('hands out request options for a discoverable credential and keeps the challenge, bound to no user', async () => {
      const t = app();

      const options = await requestOptions(t);

      expect(options).toMatchObject({
        challenge: expect.stringMatching(/^[\w-]{16,}$/),
        rpId: RP_ID,
        timeout: expect.any(Number),
        userVerification: 'required',
      });
      // Absent or empty: either way the browser offers the discoverable credentials.
      expect(options.allowCredentials ?? []).toEqual([]);
      expect(
        await t.db.getRepository(WebAuthnChallenge).findOneByOrFail({ challenge: options.challenge }),
      ).toMatchObject({
        ceremony: 'sign_in',
        userId: null,
        consumedAt: null,
        expiresAt: new Date(Date.now() + 5 * MINUTE),
      });
    });

    it('signs in without an SMS: the seed success body, working tokens, the use and the counter recorded', async () => {
      const t = app();
      const alice = await withPasskey(t, '+12015550731');
      const texted = t.sms.countFor('+12015550731');
      clock.advance(1000);

      const res = await t.api
        .signInWithPasskey(alice.authenticator.assert(await requestOptions(t), ORIGIN))
        .set('User-Agent', 'Passkey test')
        .expect(200);

      expect(Object.keys(res.body).sort()).toEqual(SEED_BODY_KEYS);
      expect(Object.keys(res.body.tokens as object).sort()).toEqual(['access', 'refresh']);
      expect(res.body).toMatchObject({ message: 'Authentication successful', user: alice.user, is_new_user: false });
      expect((await t.api.profile(res.body.tokens.access).expect(200)).body.user).toEqual(alice.user);
      await t.api.refresh(res.body.tokens.refresh).expect(200);
      expect(t.sms.countFor('+12015550731')).toBe(texted);
      expect((await sessionRowOf(t.db, res.body.tokens.access)).userAgent).toBe('Passkey test');
      expect(await sessionRowsOfUser(t.db, alice.user.id)).toHaveLength(2);
      expect(await passkeyRow(t.db, alice.passkey.id)).toMatchObject({ counter: 1, lastUsedAt: new Date() });
      expect((await t.api.passkeys(alice.tokens.access)).body.passkeys).toEqual([
        { ...alice.passkey, last_used_at: new Date().toISOString() },
      ]);

      await signInWithPasskey(t, alice.authenticator);
      expect(await passkeyRow(t.db, alice.passkey.id)).toMatchObject({ counter: 2 });
    });

    it('picks the user by the passkey: each of two users’ passkeys signs in its own user', async () => {
      const t = app();
      const alice = await withPasskey(t, '+12015550732');
      const bob = await withPasskey(t, '+12015550733');

      expect((await signInWithPasskey(t, bob.authenticator)).user.id).toBe(bob.user.id);
      expect((await signInWithPasskey(t, alice.authenticator)).user.id).toBe(alice.user.id);
    });

    it('asks no second factor of a user with TOTP: a user-verified passkey is two factors itself', async () => {
      const t = app();
      const alice = await withPasskey(t, '+12015550734');
      await enrolTotp(t, alice.tokens.access);

      const body = await signInWithPasskey(t, alice.authenticator);

      expect(Object.keys(body).sort()).toEqual(SEED_BODY_KEYS);
      await t.api.profile(body.tokens.access).expect(200);
    });

    it('lets 1 of 6 parallel verifications of one response sign in', async () => {
      const t = app();
      const alice = await withPasskey(t, '+12015550735');
      const response = alice.authenticator.assert(await requestOptions(t), ORIGIN);

      const answers = await Promise.all(Array.from({ length: 6 }, () => t.api.signInWithPasskey(response)));

      expect(answers.filter((res) => res.status === 200)).toHaveLength(1);
      for (const res of answers.filter((r) => r.status !== 200)) expectProblem(res, 401, 'passkey_rejected');
      expect(await sessionRowsOfUser(t.db, alice.user.id)).toHaveLength(2);
      expect(await passkeyRow(t.db, alice.passkey.id)).toMatchObject({ counter: 1 });
    });

    describe('refuses with 401 passkey_rejected, opening no session', () => {
      /** Asserts the refusal and that the user gained no session and the passkey no use. */
      async function expectRejected(t: TestApp, who: { user: { id: number }; passkey: PasskeyDto }, res: Response) {
        expectProblem(res, 401, 'passkey_rejected');
        expect(res.body).not.toHaveProperty('tokens');
        expect(await sessionRowsOfUser(t.db, who.user.id)).toHaveLength(1);
        expect(await passkeyRow(t.db, who.passkey.id)).toMatchObject({ lastUsedAt: null });
      }

      it.each<[string, string, AssertionOverrides]>([
        ['an assertion from another origin', '+12015550736', { origin: 'https://evil.example' }],
        ['an assertion from an origin not configured', '+12015550737', { origin: 'http://localhost:3001' }],
        ['an assertion for another RP ID', '+12015550738', { rpId: 'example.com' }],
        ['an assertion without user verification', '+12015550739', { userVerified: false }],
        [
          'an assertion to a challenge never handed out',
          '+12015550740',
          { challenge: Buffer.from('made up').toString('base64url') },
        ],
      ])('%s', async (_, phoneNumber, overrides) => {
        const t = app();
        const alice = await withPasskey(t, phoneNumber);

        await expectRejected(t, alice, await passkeySignIn(t, alice.authenticator, overrides));
      });

      it('the same response a second time: each challenge is used once', async () => {
        const t = app();
        const alice = await withPasskey(t, '+12015550742');
        const response = alice.authenticator.assert(await requestOptions(t), ORIGIN);
        await t.api.signInWithPasskey(response).expect(200);

        expectProblem(await t.api.signInWithPasskey(response), 401, 'passkey_rejected');
        expect(await sessionRowsOfUser(t.db, alice.user.id)).toHaveLength(2);
      });

      it('an expired challenge (WEBAUTHN_CHALLENGE_TTL=5m)', async () => {
        const t = app();
        const alice = await withPasskey(t, '+12015550743');
        const options = await requestOptions(t);
        clock.advance(6 * MINUTE);

        await expectRejected(t, alice, await t.api.signInWithPasskey(alice.authenticator.assert(options, ORIGIN)));
      });

      it('a challenge handed out for a registration or a second factor', async () => {
        const t = app();
        const alice = await withPasskey(t, '+12015550744');
        await enrolTotp(t, alice.tokens.access);
        const registration = (await creationOptions(t, alice.tokens.access)).challenge;
        const { mfa_token } = await startSignIn(t, '+12015550744');
        const secondFactor = ((await t.api.mfaPasskeyOptions(mfa_token).expect(200)).body as { challenge: string })
          .challenge;

        for (const challenge of [registration, secondFactor]) {
          await expectRejected(t, alice, await passkeySignIn(t, alice.authenticator, { challenge }));
        }
      });

      it('a credential never registered', async () => {
        const t = app();
        const alice = await withPasskey(t, '+12015550745');
        const stranger = new SoftAuthenticator();
        stranger.register(await creationOptions(t, alice.tokens.access), ORIGIN);

        await expectRejected(t, alice, await passkeySignIn(t, stranger));
      });

      it('a deleted passkey', async () => {
        const t = app();
        const alice = await withPasskey(t, '+12015550746');
        await t.api.deletePasskey(alice.tokens.access, alice.passkey.id).expect(204);

        expectProblem(await passkeySignIn(t, alice.authenticator), 401, 'passkey_rejected');
        expect(await sessionRowsOfUser(t.db, alice.user.id)).toHaveLength(1);
      });

      it('the passkey of a deactivated user', async () => {
        const t = app();
        const alice = await withPasskey(t, '+12015550747');
        await updateUser(t.db, alice.user.id, { isActive: false });

        await expectRejected(t, alice, await passkeySignIn(t, alice.authenticator));
      });

      it('a counter that went backwards, and then the passkey for good: it is marked as cloned', async () => {
        const t = app();
        const alice = await withPasskey(t, '+12015550748');
        for (let use = 1; use <= 3; use++) await signInWithPasskey(t, alice.authenticator);
        clock.advance(1000);

        const clone = await passkeySignIn(t, alice.authenticator, { counter: 2 });

        expectProblem(clone, 401, 'passkey_rejected');
        expect(await passkeyRow(t.db, alice.passkey.id)).toMatchObject({ counter: 3, clonedAt: new Date() });
        const genuine = await passkeySignIn(t, alice.authenticator, { counter: 10 });
        expectProblem(genuine, 401, 'passkey_rejected');
        expect(await passkeyRow(t.db, alice.passkey.id)).toMatchObject({ counter: 3 });
        expect(await sessionRowsOfUser(t.db, alice.user.id)).toHaveLength(4);
      });
    });
  });

  describe('as a second factor', () => {
    it('is offered to a TOTP user with a passkey, and completes the sign-in: the seed success body', async () => {
      const t = app();
      const alice = await withPasskey(t, '+12015550751');
      await enrolTotp(t, alice.tokens.access);
      const credentialId = alice.authenticator.credentials[0].id;

      const { mfa_token, factors } = await startSignIn(t, '+12015550751');
      expect([...factors].sort()).toEqual(['passkey', 'recovery_code', 'totp']);
      const options = (await t.api.mfaPasskeyOptions(mfa_token).expect(200))
        .body as PublicKeyCredentialRequestOptionsJSON;
      expect(options).toMatchObject({ challenge: expect.any(String), rpId: RP_ID, userVerification: 'required' });
      expect(options.allowCredentials).toEqual([expect.objectContaining({ id: credentialId, type: 'public-key' })]);
      expect(
        await t.db.getRepository(WebAuthnChallenge).findOneByOrFail({ challenge: options.challenge }),
      ).toMatchObject({
        ceremony: 'second_factor',
        userId: alice.user.id,
      });

      const res = await t.api
        .completeChallenge(mfa_token, { passkey: alice.authenticator.assert(options, ORIGIN) })
        .expect(200);

      expect(Object.keys(res.body).sort()).toEqual(SEED_BODY_KEYS);
      expect(res.body).toMatchObject({ message: 'Authentication successful', user: alice.user, is_new_user: false });
      await t.api.profile(res.body.tokens.access).expect(200);
      expect(await passkeyRow(t.db, alice.passkey.id)).toMatchObject({ counter: 1, lastUsedAt: new Date() });
    });

    it('is not offered to a TOTP user without a passkey', async () => {
      const t = app();
      const alice = await signIn(t, '+12015550752');
      await enrolTotp(t, alice.tokens.access);

      expect((await startSignIn(t, '+12015550752')).factors).toEqual(['totp', 'recovery_code']);
    });

    it('counts a wrong passkey against the mfa_token like a wrong code: after 5, even the right one is refused', async () => {
      const t = app();
      const alice = await withPasskey(t, '+12015550753');
      await enrolTotp(t, alice.tokens.access);
      const mallory = await withPasskey(t, '+12015550754');
      const { mfa_token } = await startSignIn(t, '+12015550753');
      const rightOptions = (await t.api.mfaPasskeyOptions(mfa_token).expect(200)).body;
      const wrong = async () => {
        const options = (await t.api.mfaPasskeyOptions(mfa_token).expect(200)).body;
        const credentialId = mallory.authenticator.credentials[0].id;
        return mallory.authenticator.assert(options, ORIGIN, { credentialId });
      };

      for (let attempt = 1; attempt <= 5; attempt++) {
        expectProblem(await t.api.completeChallenge(mfa_token, { passkey: await wrong() }), 401, 'passkey_rejected');
      }

      const right = alice.authenticator.assert(rightOptions, ORIGIN);
      expectProblem(await t.api.completeChallenge(mfa_token, { passkey: right }), 401, 'mfa_token_invalid');
      expectProblem(await t.api.mfaPasskeyOptions(mfa_token), 401, 'mfa_token_invalid');
      expect(await sessionRowsOfUser(t.db, alice.user.id)).toHaveLength(1);
      expect(await passkeyRow(t.db, mallory.passkey.id)).toMatchObject({ lastUsedAt: null });
    });

    it('refuses a sign-in challenge in place of the second factor’s, and a body with two proofs', async () => {
      const t = app();
      const alice = await withPasskey(t, '+12015550755');
      const [recoveryCode] = await enrolTotp(t, alice.tokens.access);
      const { mfa_token } = await startSignIn(t, '+12015550755');

      const signInAssertion = alice.authenticator.assert(await requestOptions(t), ORIGIN);
      expectProblem(await t.api.completeChallenge(mfa_token, { passkey: signInAssertion }), 401, 'passkey_rejected');
      const options = (await t.api.mfaPasskeyOptions(mfa_token).expect(200)).body;
      const both = { passkey: alice.authenticator.assert(options, ORIGIN), recovery_code: recoveryCode };
      expectProblem(await t.api.completeChallenge(mfa_token, both), 400, 'validation_failed');
      expect(await sessionRowsOfUser(t.db, alice.user.id)).toHaveLength(1);
    });

    it('does not make SMS sign-in ask for a second factor when the user has only a passkey', async () => {
      const t = app();
      const alice = await withPasskey(t, '+12015550756');

      const res = await t.api.verifyOtp('+12015550756', await requestCode(t, '+12015550756')).expect(200);

      expect(Object.keys(res.body).sort()).toEqual(SEED_BODY_KEYS);
      expect(res.body).toMatchObject({ user: alice.user, is_new_user: false });
      await t.api.profile(res.body.tokens.access).expect(200);
    });
  });
});

/** A fresh SMS sign-in of the same user, for a recent authentication; returns its access token. */
async function signInAgain(t: TestApp, who: SignedIn): Promise<string> {
  return (await signIn(t, who.user.phone_number)).tokens.access;
}

function bearer(test: Test, access: string): Test {
  return test.set('Authorization', `Bearer ${access}`);
}
