import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';

/** What a negative test can change in one ceremony; everything else stays what a browser would send. */
export interface CeremonyOverrides {
  /** clientDataJSON.origin instead of the page's origin. */
  origin?: string;
  /** The RP ID hashed into authenticatorData instead of the one the options name. */
  rpId?: string;
  /** false: the UV flag is off, as when the user only touched the key. */
  userVerified?: boolean;
  /** clientDataJSON.challenge instead of the options' challenge. */
  challenge?: string;
}

export interface RegistrationOverrides extends CeremonyOverrides {
  /**
   * Attest this existing credential (its id and key) again instead of making a new one, ignoring
   * excludeCredentials: what a client that does not honour excludeCredentials could send.
   */
  credentialId?: string;
}

export interface AssertionOverrides extends CeremonyOverrides {
  /** The signature counter to report, e.g. an older one, as a cloned authenticator would. */
  counter?: number;
  /** Which of the authenticator's credentials to use, instead of the newest that fits. */
  credentialId?: string;
}

/** A discoverable credential as the authenticator keeps it. */
export interface SoftCredential {
  /** base64url */
  id: string;
  rpId: string;
  /** base64url, the options' user.id */
  userHandle: string;
  privateKey: KeyObject;
  /** COSE_Key (EC2, P-256, ES256), as authenticatorData carries it */
  publicKey: Buffer;
  /** The same key as DER SubjectPublicKeyInfo, as the browser's getPublicKey() returns it */
  spki: Buffer;
  signCount: number;
}

export interface SoftAuthenticatorOptions {
  /** Whether it verifies the user (PIN, biometrics): the UV flag. Default true. */
  userVerification?: boolean;
  /** Whether its credentials are synced (BE and BS flags): a "multiDevice" passkey. Default false. */
  backedUp?: boolean;
}

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;
const COSE_ES256 = -7;

/**
 * A platform authenticator and its browser in one, in Node: ES256 (P-256) discoverable
 * credentials, "none" attestation, a signature counter per credential. It answers the JSON
 * options the server hands out with the JSON a browser's `PublicKeyCredential.toJSON()` would post,
 * so e2e tests can run the WebAuthn ceremonies without a browser.
 */
export class SoftAuthenticator {
  readonly credentials: SoftCredential[] = [];
  private readonly userVerification: boolean;
  private readonly backedUp: boolean;

  constructor(options: SoftAuthenticatorOptions = {}) {
    this.userVerification = options.userVerification ?? true;
    this.backedUp = options.backedUp ?? false;
  }

  /** navigator.credentials.create(): makes (or, with `overrides.credentialId`, re-attests) a credential. */
  register(
    options: PublicKeyCredentialCreationOptionsJSON,
    origin: string,
    overrides: RegistrationOverrides = {},
  ): RegistrationResponseJSON {
    if (!options.pubKeyCredParams.some((param) => param.alg === COSE_ES256)) {
      throw new Error('NotSupportedError: the options do not allow ES256');
    }
    const rpId = options.rp.id ?? new URL(origin).hostname;
    let credential: SoftCredential;
    if (overrides.credentialId !== undefined) {
      credential = this.credential(overrides.credentialId);
    } else {
      const excluded = new Set((options.excludeCredentials ?? []).map((descriptor) => descriptor.id));
      if (this.credentials.some((known) => known.rpId === rpId && excluded.has(known.id))) {
        throw new Error('InvalidStateError: this authenticator already holds an excluded credential');
      }
      credential = newCredential(rpId, options.user.id);
      // A discoverable credential replaces the one this authenticator held for the same account.
      const replaced = this.credentials.findIndex(
        (known) => known.rpId === rpId && known.userHandle === options.user.id,
      );
      if (replaced >= 0) this.credentials.splice(replaced, 1);
      this.credentials.push(credential);
    }

    const id = Buffer.from(credential.id, 'base64url');
    const attestedCredentialData = Buffer.concat([Buffer.alloc(16), uint16(id.length), id, credential.publicKey]);
    const authData = Buffer.concat([
      this.authDataHead(overrides.rpId ?? rpId, FLAG_AT, overrides.userVerified, credential.signCount),
      attestedCredentialData,
    ]);
    const clientDataJSON = clientData(
      'webauthn.create',
      overrides.challenge ?? options.challenge,
      overrides.origin ?? origin,
    );
    const attestationObject = cbor(
      new Map<CborKey, CborValue>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', authData],
      ]),
    );
    return {
      id: credential.id,
      rawId: credential.id,
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
      response: {
        clientDataJSON: clientDataJSON.toString('base64url'),
        attestationObject: attestationObject.toString('base64url'),
        authenticatorData: authData.toString('base64url'),
        transports: ['internal'],
        publicKeyAlgorithm: COSE_ES256,
        publicKey: credential.spki.toString('base64url'),
      },
    };
  }

  /**
   * navigator.credentials.get(): signs with the newest credential for the options' RP ID that
   * allowCredentials allows (any, when the list is empty: a discoverable credential), counting up.
   */
  assert(
    options: PublicKeyCredentialRequestOptionsJSON,
    origin: string,
    overrides: AssertionOverrides = {},
  ): AuthenticationResponseJSON {
    const rpId = options.rpId ?? new URL(origin).hostname;
    const credential =
      overrides.credentialId !== undefined ? this.credential(overrides.credentialId) : this.pick(options, rpId);
    const signCount = overrides.counter ?? credential.signCount + 1;
    credential.signCount = Math.max(credential.signCount, signCount);

    const authData = this.authDataHead(overrides.rpId ?? rpId, 0, overrides.userVerified, signCount);
    const clientDataJSON = clientData(
      'webauthn.get',
      overrides.challenge ?? options.challenge,
      overrides.origin ?? origin,
    );
    const signed = Buffer.concat([authData, createHash('sha256').update(clientDataJSON).digest()]);
    const signature = sign('sha256', signed, { key: credential.privateKey, dsaEncoding: 'der' });
    return {
      id: credential.id,
      rawId: credential.id,
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
      response: {
        clientDataJSON: clientDataJSON.toString('base64url'),
        authenticatorData: authData.toString('base64url'),
        signature: signature.toString('base64url'),
        userHandle: credential.userHandle,
      },
    };
  }

  /** The credential with this id; throws when the authenticator has none. */
  credential(id: string): SoftCredential {
    const found = this.credentials.find((credential) => credential.id === id);
    if (!found) throw new Error(`SoftAuthenticator: no credential ${id}`);
    return found;
  }

  private pick(options: PublicKeyCredentialRequestOptionsJSON, rpId: string): SoftCredential {
    const allowed = new Set((options.allowCredentials ?? []).map((descriptor) => descriptor.id));
    const candidates = this.credentials.filter(
      (credential) => credential.rpId === rpId && (allowed.size === 0 || allowed.has(credential.id)),
    );
    const newest = candidates.at(-1);
    if (!newest) throw new Error(`NotAllowedError: no credential for ${rpId} that the options allow`);
    return newest;
  }

  /** rpIdHash | flags | signCount, the 37 bytes every authenticatorData starts with. */
  private authDataHead(rpId: string, extraFlags: number, userVerified: boolean | undefined, signCount: number): Buffer {
    let flags = FLAG_UP | extraFlags;
    if (userVerified ?? this.userVerification) flags |= FLAG_UV;
    if (this.backedUp) flags |= FLAG_BE | FLAG_BS;
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(signCount);
    return Buffer.concat([createHash('sha256').update(rpId).digest(), Buffer.from([flags]), counter]);
  }
}

function newCredential(rpId: string, userHandle: string): SoftCredential {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const cose = cbor(
    new Map<CborKey, CborValue>([
      [1, 2], // kty: EC2
      [3, COSE_ES256], // alg
      [-1, 1], // crv: P-256
      [-2, Buffer.from(jwk.x!, 'base64url')],
      [-3, Buffer.from(jwk.y!, 'base64url')],
    ]),
  );
  return {
    id: randomBytes(16).toString('base64url'),
    rpId,
    userHandle,
    privateKey,
    publicKey: cose,
    spki: publicKey.export({ format: 'der', type: 'spki' }),
    signCount: 0,
  };
}

function clientData(type: 'webauthn.create' | 'webauthn.get', challenge: string, origin: string): Buffer {
  return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
}

function uint16(value: number): Buffer {
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16BE(value);
  return bytes;
}

type CborKey = number | string;
type CborValue = number | string | Buffer | Map<CborKey, CborValue>;

/**
 * Just enough CBOR (RFC 8949) for a COSE key and an attestation object: unsigned and negative
 * integers, byte and text strings, maps, in their shortest encodings, keys in the order given.
 */
function cbor(value: CborValue): Buffer {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error(`cbor: ${value} is not an integer`);
    return value >= 0 ? head(0, value) : head(1, -1 - value);
  }
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([head(3, bytes.length), bytes]);
  }
  if (Buffer.isBuffer(value)) return Buffer.concat([head(2, value.length), value]);
  return Buffer.concat([head(5, value.size), ...[...value].flatMap(([key, item]) => [cbor(key), cbor(item)])]);
}

function head(major: number, argument: number): Buffer {
  const type = major << 5;
  if (argument < 24) return Buffer.from([type | argument]);
  if (argument < 0x100) return Buffer.from([type | 24, argument]);
  if (argument < 0x10000) return Buffer.concat([Buffer.from([type | 25]), uint16(argument)]);
  if (argument < 0x100000000) {
    const bytes = Buffer.alloc(5);
    bytes[0] = type | 26;
    bytes.writeUInt32BE(argument, 1);
    return bytes;
  }
  throw new Error(`cbor: ${argument} needs 8 bytes, which nothing here uses`);
}
