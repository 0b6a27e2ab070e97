import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import type { Response } from 'supertest';
import { dialects } from '../helpers/databases';
import { ROUTES } from '../helpers/api-client';
import { requestCode, signIn, type SignedIn } from '../helpers/sign-in';
import { SoftAuthenticator } from '../helpers/soft-authenticator';
import { useTestApp } from '../helpers/test-app';

const NUM_RUNS = 150;
/** Set FUZZ_SEED to replay a failure; fast-check prints the seed and path of every counterexample. */
const SEED = process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) } : {};

const FIELDS = [
  'phone_number',
  'new_phone_number',
  'otp_code',
  'locale',
  'refresh',
  'scope',
  'first_name',
  'last_name',
  'code',
  'totp_code',
  'recovery_code',
  'mfa_token',
  'name',
  'response',
  'passkey',
];
/** Zero to nine in scripts other than ASCII: Arabic-Indic, Devanagari, fullwidth, mathematical bold. */
const DIGIT_SETS = ['٠١٢٣٤٥٦٧٨٩', '०१२३४५६७८९', '０１２３４５６７８９', '𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗'].map((set) => [...set]);

const unicodeDigits = fc
  .tuple(fc.constantFrom(...DIGIT_SETS), fc.stringMatching(/^\+?[0-9]{4,15}$/))
  .map(([digits, ascii]) => ascii.replace(/[0-9]/g, (d) => digits[Number(d)]));

const nearlyValidPhone = fc
  .tuple(fc.integer({ min: 100, max: 199 }), fc.constantFrom('+1201555%', '+1 (201) 555-%', '+1.201.555.%', '1201555%'))
  .map(([n, format]) => format.replace('%', `0${n}`.slice(-4)));

/** A value for any field: every JSON type, odd strings, huge numbers written as strings, near-misses. */
const fieldValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  unicodeDigits,
  nearlyValidPhone,
  fc.stringMatching(/^[0-9]{4,10}$/),
  fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String),
  fc.double(),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\u0000+12015550170',
    '+',
    '+1',
    'eyJhbGciOiJub25lIn0.e30.',
    'local',
    'global',
    'x'.repeat(5000),
  ),
);

const knownKeysObject = fc.record(Object.fromEntries(FIELDS.map((field) => [field, fieldValue])), { requiredKeys: [] });
const withExtraKeys = fc
  .tuple(knownKeysObject, fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 12 }), fieldValue, { maxKeys: 3 }))
  .map(([known, extra]) => ({ ...extra, ...known }));

/** A bare integer literal too large for any number type, in a field or as the whole body. */
const hugeNumberLiteral = fc
  .tuple(fc.constantFrom(...FIELDS), fc.bigInt({ min: 10n ** 20n, max: 10n ** 400n }), fc.boolean())
  .map(([field, n, whole]) => (whole ? `${n}` : `{"${field}": ${n}}`));

/** Nesting thousands deep, still under BODY_LIMIT. */
const deepNesting = fc
  .tuple(fc.integer({ min: 1, max: 1500 }), fc.constantFrom(...FIELDS), fc.boolean())
  .map(([depth, field, arrays]) =>
    arrays
      ? `{"${field}": ${'['.repeat(depth)}${']'.repeat(depth)}}`
      : `${`{"${field}":`.repeat(depth)}"+12015550170"${'}'.repeat(depth)}`,
  );

/** Bodies that broke parsers and databases elsewhere; each is also sent to every endpoint on its own. */
const EDGE_CASES = [
  '',
  'null',
  '[]',
  '"+12015550170"',
  '{"__proto__": {"phone_number": "+12015550170"}}',
  '{"constructor": {"prototype": {"otp_code": "123456"}}}',
  '{"phone_number": "+12015550170", "phone_number": ["+12015550170"]}',
  '{"first_name": "\\ud800"}',
  '{"first_name": "a\\u0000b"}',
  '{"phone_number": 1e309}',
  '{"otp_code": -0}',
  '{"refresh": "',
  '\ufeff{}',
  '{}',
  '{"totp_code": "123456", "recovery_code": "K7Q2M-9XH4D"}',
  '{"totp_code": null, "recovery_code": null}',
  '{"totp_code": null}',
  '{"recovery_code": null}',
  '{"totp_code": 123456}',
  '{"recovery_code": ["K7Q2M-9XH4D"]}',
  '{"code": 123456}',
  '{"code": "１２３４５６"}',
  '{"mfa_token": "kD3v0m5Q2b7y9hXJm1sN8cT4pR6wZ0aE3fG5iL7uV9o"}',
  '{"mfa_token": "kD3v0m5Q2b7y9hXJm1sN8cT4pR6wZ0aE3fG5iL7uV9o", "totp_code": "123456", "recovery_code": "K7Q2M-9XH4D"}',
  '{"mfa_token": {"$ne": null}, "totp_code": "123456"}',
  `{"mfa_token": "${'A'.repeat(15_000)}", "recovery_code": "K7Q2M-9XH4D"}`,
  '{"mfa_token": "\\ud800", "recovery_code": "K7Q2M\u20129XH4D"}',
  '{"phone_number": "+12015550171", "new_phone_number": "+12015550172", "totp_code": "123456", "recovery_code": "K7Q2M-9XH4D"}',
  '{"phone_number": "+12015550171", "new_phone_number": "+12015550172", "recovery_code": "K7Q2M-9XH4D"}',
  '{"phone_number": "+12015550171", "new_phone_number": "+12015550172", "recovery_code": null}',
  '{"phone_number": "+12015550171", "new_phone_number": "+12015550171", "totp_code": "123456"}',
  '{"phone_number": "+12015550171", "new_phone_number": "+12015550172", "otp_code": "123456"}',
  ...passkeyEdgeCases(),
];

/** Passkey bodies that are wrong in the ways a broken or hostile client gets them wrong. */
function passkeyEdgeCases(): string[] {
  const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64url');
  const credential = (response: unknown, extra: object = {}) => ({
    id: 'Mv3YqaQm9zJ0',
    rawId: 'Mv3YqaQm9zJ0',
    type: 'public-key',
    response,
    clientExtensionResults: {},
    ...extra,
  });
  const clientData = (challenge: unknown) =>
    b64(JSON.stringify({ type: 'webauthn.get', challenge, origin: 'http://localhost:3000', crossOrigin: false }));
  const deep = (depth: number): unknown => (depth === 0 ? {} : { response: deep(depth - 1) });
  const token = 'kD3v0m5Q2b7y9hXJm1sN8cT4pR6wZ0aE3fG5iL7uV9o';
  const credentials: unknown[] = [
    {},
    credential({}),
    credential([]),
    credential(null),
    credential({ clientDataJSON: 'not base64url!', attestationObject: '%%%' }),
    credential({ clientDataJSON: b64('not JSON') }),
    credential({ clientDataJSON: b64('null') }),
    credential({ clientDataJSON: b64('[]') }),
    credential({ clientDataJSON: clientData(123) }),
    credential({ clientDataJSON: clientData({ $ne: null }) }),
    credential({ clientDataJSON: clientData(['AAAA']) }),
    credential({ clientDataJSON: clientData(null) }),
    credential({ clientDataJSON: clientData('A'.repeat(5000)) }),
    credential({ clientDataJSON: 'A'.repeat(14_000) }),
    credential({ clientDataJSON: 123, attestationObject: [], authenticatorData: {}, signature: null }),
    credential({ clientDataJSON: clientData('AAAA'), attestationObject: b64(Buffer.from([0xa0])) }),
    credential({ clientDataJSON: clientData('AAAA'), attestationObject: b64(Buffer.alloc(2000, 0x81)) }),
    credential({ clientDataJSON: clientData('AAAA'), transports: 'usb' }),
    credential({ clientDataJSON: clientData('AAAA') }, { id: 1, rawId: 1 }),
    credential({ clientDataJSON: clientData('AAAA') }, { id: ['x'], rawId: { x: 1 }, type: 7 }),
    credential({ clientDataJSON: clientData('AAAA') }, { id: 'AAAA\u0000', rawId: 'AAAA\u0000' }),
    credential({ clientDataJSON: clientData('AAAA') }, { id: '🔑\ud800', rawId: '🔑' }),
    credential({ clientDataJSON: clientData('AAAA') }, { id: 'A'.repeat(5000) }),
    deep(30),
    deep(40),
    [credential({})],
  ];
  return [
    '{"response": "eyJhbGciOiJub25lIn0"}',
    '{"response": {"__proto__": {"id": "x"}}}',
    '{"passkey": {}}',
    `{"mfa_token": "${token}", "passkey": {}, "totp_code": "123456"}`,
    `{"mfa_token": "${token}", "passkey": null, "recovery_code": null, "totp_code": null}`,
    '{"name": "\\u0000", "response": {}}',
    '{"name": "a\\u0000b"}',
    '{"name": "\\ud800"}',
    `{"name": "${'a'.repeat(64)}${'\\ufe0f'.repeat(60)}"}`,
    `{"name": "${'a'.repeat(65)}"}`,
    `{"name": "${'🔑'.repeat(64)}"}`,
    '{"name": " "}',
    '{"name": ["Key"]}',
    ...credentials.flatMap((value) => [
      JSON.stringify({ name: 'Key', response: value }),
      JSON.stringify({ response: value }),
      JSON.stringify({ mfa_token: token, passkey: value }),
    ]),
  ];
}

/** Second-factor proofs: well-formed, near misses, other scripts and dashes, other types, nearly BODY_LIMIT long. */
const proofValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.stringMatching(/^[0-9]{6}$/),
  fc.stringMatching(/^[0-9A-Za-z]{5}[- ]?[0-9A-Za-z]{5}$/),
  unicodeDigits,
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fieldValue,
  fc.constantFrom(
    '１２３４５６',
    '12345６',
    ' 123456',
    '123456\n',
    'K7Q2M\u20109XH4D',
    'Ｋ７Ｑ２Ｍ-９ＸＨ４Ｄ',
    'K7Q2M-9XH4D\u0000',
    '9'.repeat(15_000),
  ),
);

const mfaToken = fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{43}$/), fieldValue);

/**
 * Bodies shaped like the second-factor routes' (a TOTP code, a proof with both, one or neither
 * field, a challenge, lost-phone recovery), with any value in any field, so that they get past
 * the whitelist and reach the checks behind it.
 */
const secondFactorBody: fc.Arbitrary<string> = fc
  .oneof(
    fc.record({ code: proofValue }, { requiredKeys: [] }),
    fc.record({ totp_code: proofValue, recovery_code: proofValue }, { requiredKeys: [] }),
    fc.record({ mfa_token: mfaToken, totp_code: proofValue, recovery_code: proofValue }, { requiredKeys: [] }),
    fc.record(
      {
        phone_number: fc.oneof(nearlyValidPhone, fieldValue),
        new_phone_number: fc.oneof(nearlyValidPhone, fieldValue),
        totp_code: proofValue,
        recovery_code: proofValue,
        otp_code: proofValue,
        locale: fieldValue,
      },
      { requiredKeys: ['phone_number', 'new_phone_number'] },
    ),
  )
  .map((value) => JSON.stringify(value));

const base64url = (data: string | Uint8Array) => Buffer.from(data).toString('base64url');

/** CBOR that breaks decoders: an empty map, an unterminated indefinite array, an 8-byte length, nesting 2000 deep. */
const CBOR_GARBAGE = [
  [0xa0],
  [0x9f],
  [0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
  [0xa1, 0x63, 0x66, 0x6d, 0x74, 0x64, 0x6e, 0x6f, 0x6e, 0x65],
  [0xbf, 0x63, 0x66, 0x6d, 0x74],
  [0xff],
  Array<number>(2000).fill(0x81),
].map((bytes) => base64url(Uint8Array.from(bytes)));

/** What a base64url field of a credential can hold instead: other bytes, CBOR garbage, text that is not base64url. */
const binaryValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map(base64url),
  fc.constantFrom(...CBOR_GARBAGE, '', '=', 'AAAA====', 'not base64url!', '🔑', 'A'.repeat(12_000)),
  fieldValue,
);

/** A challenge as clientDataJSON may carry it: a plausible one, any other JSON value, far too long. */
const challengeValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_-]{43}$/),
  fieldValue,
  fc.constantFrom('A'.repeat(5000), '', '../..', { $ne: null }, ['AAAA']),
);

/** clientDataJSON fields, any of which may be missing or of the wrong type. */
const clientDataFields = fc.record(
  {
    type: fc.oneof(fc.constantFrom('webauthn.create', 'webauthn.get', 'payment.get'), fieldValue),
    challenge: challengeValue,
    origin: fc.oneof(
      fc.constantFrom(
        'http://localhost:3000',
        'http://localhost:3000/',
        'https://localhost:3000',
        'http://LOCALHOST:3000',
        'http://localhost:3000.evil.example',
        'http://localhost:3000\u0000',
        'null',
      ),
      fieldValue,
    ),
    crossOrigin: fieldValue,
    topOrigin: fieldValue,
    tokenBinding: fc.oneof(fieldValue, fc.record({ status: fieldValue, id: fieldValue }, { requiredKeys: [] })),
    padding: fc.constantFrom('x'.repeat(8000), '\ud800', '\u0000'),
  },
  { requiredKeys: [] },
);

/** clientDataJSON as it should not be: not base64url, not JSON, not an object, a challenge that is not a string, huge. */
const clientDataJSON: fc.Arbitrary<unknown> = fc.oneof(
  clientDataFields.map((fields) => base64url(JSON.stringify(fields))),
  fc.jsonValue({ maxDepth: 3 }).map((value) => base64url(JSON.stringify(value))),
  fc.string({ unit: 'binary', maxLength: 60 }).map(base64url),
  fc.string({ unit: 'binary', maxLength: 60 }),
  binaryValue,
);

/** Nested objects or arrays, some deeper than the body parser takes. */
const deepValue = fc
  .tuple(fc.integer({ min: 1, max: 40 }), fc.boolean())
  .map(([depth, arrays]) =>
    Array.from({ length: depth }).reduce<unknown>((inner) => (arrays ? [inner] : { response: inner }), {}),
  );

/** What a credential (PublicKeyCredential.toJSON()) can hold instead, top to bottom. */
const credentialValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.record(
    {
      id: fc.oneof(binaryValue, fc.string({ unit: 'grapheme', maxLength: 20 })),
      rawId: binaryValue,
      type: fc.oneof(fc.constant('public-key'), fieldValue),
      response: fc.oneof(
        fc.record(
          {
            clientDataJSON,
            attestationObject: binaryValue,
            authenticatorData: binaryValue,
            signature: binaryValue,
            userHandle: binaryValue,
            publicKey: binaryValue,
            publicKeyAlgorithm: fc.oneof(fc.constantFrom(-7, -8, -257), fieldValue),
            transports: fc.oneof(fc.array(fc.constantFrom('internal', 'hybrid', 'usb')), fieldValue),
          },
          { requiredKeys: [] },
        ),
        fc.array(fieldValue, { maxLength: 3 }),
        deepValue,
        fieldValue,
      ),
      clientExtensionResults: fieldValue,
      authenticatorAttachment: fieldValue,
    },
    { requiredKeys: [] },
  ),
  fc.array(fieldValue, { maxLength: 3 }),
  deepValue,
  fieldValue,
);

/** Passkey names: blank, too long by one, long only to a counter that skips variation selectors, NUL, lone surrogates. */
const passkeyName: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 70 }),
  fieldValue,
  fc.constantFrom(
    '\u0000',
    'a\u0000b',
    '\ud800',
    'a'.repeat(64),
    'a'.repeat(65),
    `${'a'.repeat(64)}${'\ufe0f'.repeat(60)}`,
    '🔑'.repeat(64),
    'e\u0301'.repeat(40),
    '\u202eyek',
    ' \t\n',
  ),
);

/** Bodies shaped like the passkey routes' (a name and a credential; an mfa_token and a passkey), with anything in them. */
const passkeyBody: fc.Arbitrary<string> = fc
  .oneof(
    fc.record({ name: passkeyName, response: credentialValue }, { requiredKeys: [] }),
    fc.record({ response: credentialValue }),
    fc.record({ mfa_token: mfaToken, passkey: credentialValue }, { requiredKeys: ['passkey'] }),
    fc.record(
      { mfa_token: mfaToken, passkey: credentialValue, totp_code: proofValue, recovery_code: proofValue },
      { requiredKeys: [] },
    ),
  )
  .map((value) => JSON.stringify(value));

/** One change to a genuine credential, at a dotted path into it ('id', 'response.transports'). */
type Mutation =
  | { set: string; value: unknown }
  | { remove: string }
  /** Merged into the decoded clientDataJSON, which keeps the live challenge unless this replaces it. */
  | { clientData: Record<string, unknown> }
  /** XORs one byte of a base64url field with `mask`. */
  | { flip: string; at: number; mask: number }
  | { truncate: string; length: number };

const CREDENTIAL_PATHS = [
  'id',
  'rawId',
  'type',
  'response',
  'clientExtensionResults',
  'authenticatorAttachment',
  'response.clientDataJSON',
  'response.attestationObject',
  'response.authenticatorData',
  'response.signature',
  'response.userHandle',
  'response.publicKey',
  'response.publicKeyAlgorithm',
  'response.transports',
];
const BINARY_PATHS = [
  'id',
  'response.clientDataJSON',
  'response.attestationObject',
  'response.authenticatorData',
  'response.signature',
  'response.userHandle',
  'response.publicKey',
];

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    set: fc.constantFrom(...CREDENTIAL_PATHS),
    value: fc.oneof(
      binaryValue,
      clientDataJSON,
      credentialValue,
      fc.constantFrom(['x'.repeat(300)], Array<string>(50).fill('hybrid'), [{}], [null], false, 'usb'),
    ),
  }),
  fc.record({ remove: fc.constantFrom(...CREDENTIAL_PATHS) }),
  clientDataFields.map((fields) => ({ clientData: fields })),
  fc.record({ flip: fc.constantFrom(...BINARY_PATHS), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ truncate: fc.constantFrom(...BINARY_PATHS), length: fc.nat() }),
);

/** Names for a registration: mostly a good one, so that the credential is what gets checked. */
const registrationName = fc.oneof(
  { arbitrary: fc.constant<unknown>('Fuzzed key'), weight: 3 },
  { arbitrary: passkeyName, weight: 1 },
);

/** Changes to a genuine credential that broke WebAuthn servers elsewhere; each is sent to every live ceremony. */
const KNOWN_MUTATIONS: Mutation[][] = [
  [{ remove: 'id' }],
  [{ remove: 'rawId' }],
  [{ remove: 'response' }],
  [{ remove: 'response.clientDataJSON' }],
  [{ remove: 'response.attestationObject' }],
  [{ remove: 'response.authenticatorData' }],
  [{ remove: 'response.signature' }],
  [{ remove: 'clientExtensionResults' }],
  [{ set: 'id', value: 1 }],
  [{ set: 'id', value: ['x'] }],
  [{ set: 'rawId', value: { id: 'x' } }],
  [{ set: 'id', value: 'AAAA\u0000' }],
  [{ set: 'id', value: '🔑\ud800' }],
  [{ set: 'id', value: 'A'.repeat(5000) }],
  [{ set: 'type', value: 'password' }],
  [{ set: 'response', value: [] }],
  [{ set: 'response', value: 'eyJ0eXBlIjoid2ViYXV0aG4uZ2V0In0' }],
  [{ set: 'response.clientDataJSON', value: 'not base64url!' }],
  [{ set: 'response.clientDataJSON', value: base64url('not JSON') }],
  [{ set: 'response.clientDataJSON', value: base64url('[]') }],
  [{ set: 'response.clientDataJSON', value: 'A'.repeat(12_000) }],
  [{ clientData: { challenge: 123 } }],
  [{ clientData: { challenge: null } }],
  [{ clientData: { challenge: { $ne: null } } }],
  [{ clientData: { challenge: ['x'] } }],
  [{ clientData: { type: [] } }],
  [{ clientData: { type: 'webauthn.create' } }, { clientData: { type: 'webauthn.get' } }],
  [{ clientData: { origin: 7 } }],
  [{ clientData: { origin: 'https://evil.example' } }],
  [{ clientData: { tokenBinding: { status: 'present' } } }],
  [{ clientData: { tokenBinding: 'x' } }],
  [{ clientData: { padding: 'x'.repeat(8000) } }],
  [{ clientData: { '\u0000': '\ud800' } }],
  ...CBOR_GARBAGE.map((value): Mutation[] => [{ set: 'response.attestationObject', value }]),
  ...CBOR_GARBAGE.map((value): Mutation[] => [{ set: 'response.authenticatorData', value }]),
  [{ set: 'response.attestationObject', value: 123 }],
  [{ truncate: 'response.attestationObject', length: 40 }],
  [{ truncate: 'response.authenticatorData', length: 36 }],
  [{ flip: 'response.authenticatorData', at: 32, mask: 0x04 }],
  [{ flip: 'response.authenticatorData', at: 36, mask: 0x01 }],
  [{ set: 'response.signature', value: '' }],
  [{ flip: 'response.signature', at: 10, mask: 0xff }],
  [{ set: 'response.userHandle', value: 5 }],
  [{ set: 'response.userHandle', value: 'A'.repeat(5000) }],
  [{ set: 'response.transports', value: 'usb' }],
  [{ set: 'response.transports', value: false }],
  [{ set: 'response.transports', value: {} }],
  [{ set: 'response.transports', value: [{}] }],
  [{ set: 'response.transports', value: ['x'.repeat(300)] }],
  [{ set: 'response.transports', value: Array<string>(50).fill('hybrid') }],
  [{ set: 'response.publicKeyAlgorithm', value: 'ES256' }],
  [{ set: 'response.publicKey', value: null }],
  [{ set: 'clientExtensionResults', value: [] }],
  [{ set: 'clientExtensionResults', value: { credProps: { rk: 'yes' }, appid: 1 } }],
  [{ set: 'authenticatorAttachment', value: { x: 1 } }],
  [{ set: 'response', value: Array.from({ length: 30 }).reduce<unknown>((inner) => ({ response: inner }), {}) }],
];

/** Names a registration whose credential is genuine must be refused, or stored, for. */
const KNOWN_NAMES: unknown[] = [
  '\u0000',
  'a\u0000b',
  '\ud800',
  `${'a'.repeat(64)}${'\ufe0f'.repeat(60)}`,
  '🔑'.repeat(64),
  'a'.repeat(65),
  ' ',
  null,
  ['Key'],
  { name: 'Key' },
];

/**
 * Path segments for /api/auth/passkeys/{id}/ that broke routers elsewhere: bad escapes, NUL,
 * traversal, far too long; `{own}` and `{OWN}` stand for the caller's passkey id, as it is and
 * upper-cased, for near misses of it.
 */
const KNOWN_ID_SEGMENTS = [
  '%',
  '%zz',
  '%00',
  '%C0%AF',
  '%ED%A0%80',
  '%F0%9F%94%91',
  '.',
  '..',
  '%2e%2e',
  '%2F',
  'null',
  '1e309',
  "'%20OR%201=1--",
  'x'.repeat(2000),
  '00000000-0000-0000-0000-000000000000',
  '{own}x',
  '{OWN}',
  '{own}%00',
  '%20{own}',
];

/** Path segments for /api/auth/passkeys/{id}/: not UUIDs, nearly UUIDs, escapes, unicode, far too long. */
const passkeyIdSegment: fc.Arbitrary<string> = fc.oneof(
  fc.uuid().map((id) => id.toUpperCase()),
  fc.uuid().map((id) => id.replace(/-/g, '')),
  fc.uuid().map((id) => `${id}x`),
  fc.uuid().map((id) => `%7B${id}%7D`),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).map(encodeURIComponent),
  fc.stringMatching(/^-?[0-9]{1,30}$/),
  fc.constantFrom(...KNOWN_ID_SEGMENTS),
);

/** Raw request bodies, sent as application/json. */
const body: fc.Arbitrary<string> = fc.oneof(
  fc.jsonValue({ maxDepth: 6 }).map((value) => JSON.stringify(value)),
  withExtraKeys.map((value) => JSON.stringify(value)),
  hugeNumberLiteral,
  deepNesting,
  fc.constantFrom(...EDGE_CASES),
  fc.string({ unit: 'binary', maxLength: 200 }),
  secondFactorBody,
  passkeyBody,
);

function expectNoServerError(res: Response): void {
  expect(res.status).toBeGreaterThanOrEqual(200);
  expect(res.status).toBeLessThan(500);
  if (res.status >= 400) {
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json\b/);
    expect(res.body).toEqual(expect.objectContaining({ status: res.status, code: expect.stringMatching(/^[a-z_]+$/) }));
  }
}

/** The user with an authenticator app: its proofs are checked, not refused for want of a factor. */
const MFA_PHONE = '+12015550171';
/** The page the software authenticator says it ran on (clientDataJSON.origin). */
const ORIGIN = 'http://localhost:3000';

describe.each(dialects())('security: fuzzing every public endpoint on %s', (dialect) => {
  const app = useTestApp(dialect, {
    env: {
      WEBAUTHN_RP_ID: 'localhost',
      WEBAUTHN_ORIGINS: ORIGIN,
      // Some ten thousand requests a minute, from one address: only the limits' own tests meet them.
      THROTTLE_LIMIT: '100000',
      OTP_IP_VERIFY_LIMIT: '100000',
    },
  });
  let session: SignedIn;
  let mfaSession: SignedIn;
  /** Holds the passkey of the session's user, and the MFA user's: genuine answers to live challenges. */
  const authenticator = new SoftAuthenticator();
  const mfaAuthenticator = new SoftAuthenticator();
  let passkeyId: string;
  let mfaPasskeyId: string;
  beforeAll(async () => {
    session = await signIn(app(), '+12015550170');
    mfaSession = await signIn(app(), MFA_PHONE);
    const { body } = await app().api.enrolTotp(mfaSession.tokens.access).expect(200);
    const secret = Secret.fromBase32(body.secret as string);
    const code = new TOTP({ secret, algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: Date.now() });
    await app().api.activateTotp(mfaSession.tokens.access, code).expect(200);
    passkeyId = await registerPasskey(session, authenticator);
    mfaPasskeyId = await registerPasskey(mfaSession, mfaAuthenticator);
  });

  async function registerPasskey(caller: SignedIn, holder: SoftAuthenticator): Promise<string> {
    const access = caller.tokens.access;
    const { body: options } = await app().api.passkeyRegistrationOptions(access).expect(200);
    const credential = holder.register(options as PublicKeyCredentialCreationOptionsJSON, ORIGIN);
    const { body } = await app().api.registerPasskey(access, 'Fuzz target', credential).expect(201);
    return body.id as string;
  }

  const endpoints: [string, (text: string) => Promise<Response>][] = [
    ['POST /api/auth/send-otp/', (text) => post(ROUTES.sendOtp, text)],
    ['POST /api/auth/verify-otp/', (text) => post(ROUTES.verifyOtp, text)],
    ['POST /api/auth/token/refresh/', (text) => post(ROUTES.refresh, text)],
    ['POST /api/auth/logout/', (text) => post(ROUTES.logout, text)],
    ['PATCH /api/auth/profile/ (signed in)', (text) => signedIn('patch', ROUTES.profile, text)],
    ['POST /api/auth/reauthenticate/ (signed in)', (text) => signedIn('post', ROUTES.reauthenticate, text)],
    [
      'POST /api/auth/reauthenticate/verify/ (signed in)',
      (text) => signedIn('post', ROUTES.reauthenticateVerify, text),
    ],
    ['POST /api/auth/phone/change/ (signed in)', (text) => signedIn('post', ROUTES.phoneChange, text)],
    ['POST /api/auth/phone/change/verify/ (signed in)', (text) => signedIn('post', ROUTES.phoneChangeVerify, text)],
    ['POST /api/auth/account/deletion/ (signed in)', (text) => signedIn('post', ROUTES.accountDeletion, text)],
    ['DELETE /api/auth/account/ (signed in)', (text) => signedIn('delete', ROUTES.account, text)],
    ['POST /api/auth/mfa/challenge/', (text) => post(ROUTES.mfaChallenge, text)],
    [
      'POST /api/auth/mfa/challenge/ (a live mfa_token in object bodies)',
      async (text) => post(ROUTES.mfaChallenge, await withLiveMfaToken(text)),
    ],
    ['POST /api/auth/recovery/', (text) => post(ROUTES.recovery, text)],
    ['POST /api/auth/recovery/verify/', (text) => post(ROUTES.recoveryVerify, text)],
    ['POST /api/auth/mfa/totp/ (signed in)', (text) => signedIn('post', ROUTES.mfaTotp, text)],
    ['POST /api/auth/mfa/totp/verify/ (signed in)', (text) => signedIn('post', ROUTES.mfaTotpVerify, text)],
    ['DELETE /api/auth/mfa/totp/ (signed in, none active)', (text) => signedIn('delete', ROUTES.mfaTotp, text)],
    [
      'DELETE /api/auth/mfa/totp/ (signed in, authenticator active)',
      (text) => signedIn('delete', ROUTES.mfaTotp, text, mfaSession),
    ],
    [
      'POST /api/auth/mfa/recovery-codes/ (signed in, authenticator active)',
      (text) => signedIn('post', ROUTES.mfaRecoveryCodes, text, mfaSession),
    ],
    ['POST /api/auth/passkeys/login/options/', (text) => post(ROUTES.passkeyLoginOptions, text)],
    ['POST /api/auth/passkeys/login/verify/', (text) => post(ROUTES.passkeyLoginVerify, text)],
    ['POST /api/auth/mfa/challenge/passkey/options/', (text) => post(ROUTES.mfaPasskeyOptions, text)],
    [
      'POST /api/auth/mfa/challenge/passkey/options/ (a live mfa_token in object bodies)',
      async (text) => post(ROUTES.mfaPasskeyOptions, await withLiveMfaToken(text)),
    ],
    [
      'POST /api/auth/passkeys/register/options/ (signed in)',
      (text) => signedIn('post', ROUTES.passkeyRegisterOptions, text),
    ],
    [
      'POST /api/auth/passkeys/register/verify/ (signed in)',
      (text) => signedIn('post', ROUTES.passkeyRegisterVerify, text),
    ],
    ['GET /api/auth/passkeys/ (signed in)', (text) => signedIn('get', ROUTES.passkeys, text)],
    [
      "PATCH /api/auth/passkeys/{id}/ (signed in, the caller's passkey)",
      (text) => signedIn('patch', ROUTES.passkey(passkeyId), text),
    ],
    [
      "PATCH /api/auth/passkeys/{id}/ (signed in, another user's passkey)",
      (text) => signedIn('patch', ROUTES.passkey(mfaPasskeyId), text),
    ],
    [
      "DELETE /api/auth/passkeys/{id}/ (signed in, another user's passkey)",
      (text) => signedIn('delete', ROUTES.passkey(mfaPasskeyId), text),
    ],
    [
      'DELETE /api/auth/passkeys/{id}/ (signed in, no such passkey)',
      (text) => signedIn('delete', ROUTES.passkey(randomUUID()), text),
    ],
  ];

  /**
   * A genuine answer to live options (a fresh challenge, the registered passkey, for the second
   * factor a fresh mfa_token too), changed by `changes`; `name` is the registration's.
   */
  const ceremonies: [string, (changes: Mutation[], name: unknown) => Promise<Response>][] = [
    [
      'POST /api/auth/passkeys/register/verify/ (signed in, a live challenge)',
      async (changes, name) => {
        const { body: options } = await app().api.passkeyRegistrationOptions(session.tokens.access).expect(200);
        const credential = new SoftAuthenticator().register(options as PublicKeyCredentialCreationOptionsJSON, ORIGIN);
        return app().api.registerPasskey(session.tokens.access, name, mutated(credential, changes));
      },
    ],
    [
      'POST /api/auth/passkeys/login/verify/ (a live challenge, a registered passkey)',
      async (changes) => {
        const { body: options } = await app().api.passkeyLoginOptions().expect(200);
        const credential = authenticator.assert(options as PublicKeyCredentialRequestOptionsJSON, ORIGIN);
        return app().api.signInWithPasskey(mutated(credential, changes));
      },
    ],
    [
      'POST /api/auth/mfa/challenge/ (passkey, a live mfa_token and challenge)',
      async (changes) => {
        const mfaToken = await liveMfaToken();
        const { body: options } = await app().api.mfaPasskeyOptions(mfaToken).expect(200);
        const credential = mfaAuthenticator.assert(options as PublicKeyCredentialRequestOptionsJSON, ORIGIN);
        return app().api.completeChallenge(mfaToken, { passkey: mutated(credential, changes) });
      },
    ],
  ];

  function post(path: string, text: string): Promise<Response> {
    return app().http().post(path).set('Content-Type', 'application/json').send(text);
  }

  /** `text` as an application/json body; undefined: no body, as a browser sends GET and DELETE. */
  function signedIn(
    method: 'get' | 'post' | 'patch' | 'delete',
    path: string,
    text: string | undefined,
    caller: SignedIn = session,
  ): Promise<Response> {
    const req = app().http()[method](path).set('Authorization', `Bearer ${caller.tokens.access}`);
    return text === undefined ? req : req.set('Content-Type', 'application/json').send(text);
  }

  /**
   * A JSON object body with `mfa_token` set to a fresh one (send-otp and verify-otp for the user
   * with an authenticator app), so that its proof is checked; any other body as it is.
   */
  async function withLiveMfaToken(text: string): Promise<string> {
    const value = parsedObject(text);
    return value ? JSON.stringify({ ...value, mfa_token: await liveMfaToken() }) : text;
  }

  /** A fresh mfa_token of the user with an authenticator app (send-otp, verify-otp). */
  async function liveMfaToken(): Promise<string> {
    const code = await requestCode(app(), MFA_PHONE);
    const res = await app().api.verifyOtp(MFA_PHONE, code).expect(200);
    return res.body.mfa_token as string;
  }

  it.each(endpoints)('answers random JSON at %s with a 2xx or a 4xx problem, never a 5xx', async (_name, send) => {
    await fc.assert(
      fc.asyncProperty(body, async (text) => {
        expectNoServerError(await send(text));
      }),
      { numRuns: NUM_RUNS, ...SEED },
    );
    // The signed-in sessions survived the barrage.
    await app().api.profile(session.tokens.access).expect(200);
    await app().api.profile(mfaSession.tokens.access).expect(200);
  });

  it.each(endpoints)('answers every known edge-case body at %s with a 2xx or a 4xx problem', async (_name, send) => {
    const answers: { body: string; status: number; contentType: string }[] = [];
    for (const text of EDGE_CASES) {
      const res = await send(text);
      answers.push({ body: text, status: res.status, contentType: String(res.headers['content-type']) });
    }

    const serverErrors = answers.filter((a) => a.status >= 500);
    expect(serverErrors).toEqual([]);
    for (const answer of answers.filter((a) => a.status >= 400)) {
      expect(answer.contentType).toMatch(/^application\/problem\+json\b/);
    }
  });

  it.each(ceremonies)(
    'answers changed genuine credentials at %s with a 2xx or a 4xx problem, never a 5xx',
    async (_name, send) => {
      await fc.assert(
        fc.asyncProperty(fc.array(mutation, { maxLength: 3 }), registrationName, async (changes, name) => {
          expectNoServerError(await send(changes, name));
        }),
        { numRuns: NUM_RUNS, ...SEED },
      );
      // No malformed answer cost the passkeys anything (a counter read from an unsigned field would mark them cloned).
      const genuine = await send([], 'Fuzzed key');
      expect([200, 201]).toContain(genuine.status);
    },
  );

  it.each(ceremonies)(
    'answers every known malformed credential at %s with a 2xx or a 4xx problem',
    async (_name, send) => {
      const cases: [Mutation[], unknown][] = [
        ...KNOWN_MUTATIONS.map((changes): [Mutation[], unknown] => [changes, 'Fuzzed key']),
        ...KNOWN_NAMES.map((name): [Mutation[], unknown] => [[], name]),
      ];
      const failures: { changes: string; name: unknown; answer: string }[] = [];
      for (const [changes, name] of cases) {
        const answer = await failureOf(send(changes, name));
        if (answer) failures.push({ changes: JSON.stringify(changes).slice(0, 300), name, answer });
      }

      expect(failures).toEqual([]);
    },
  );

  /** GET (no such route), PATCH and DELETE of /api/auth/passkeys/{segment}/, as the caller. */
  function atPasskeyId(segment: string): [string, Promise<Response>][] {
    const id = segment.replace('{own}', passkeyId).replace('{OWN}', passkeyId.toUpperCase());
    const path = `${ROUTES.passkeys}${id}/`;
    return [
      [`GET ${path}`, signedIn('get', path, undefined)],
      [`PATCH ${path}`, signedIn('patch', path, JSON.stringify({ name: NEAR_MISS_NAME }))],
      [`DELETE ${path}`, signedIn('delete', path, undefined)],
    ];
  }

  it("answers GET, PATCH and DELETE /api/auth/passkeys/{id}/ with ids that are not the caller's passkey with a 4xx problem", async () => {
    await fc.assert(
      fc.asyncProperty(passkeyIdSegment, async (segment) => {
        for (const [, request] of atPasskeyId(segment)) {
          const res = await request;
          expectNoServerError(res);
          expect(res.status).toBeGreaterThanOrEqual(400);
        }
      }),
      { numRuns: NUM_RUNS, ...SEED },
    );
    await expectPasskeyUntouched();
  });

  it('answers every known odd id at /api/auth/passkeys/{id}/ with a 4xx problem', async () => {
    const failures: { request: string; answer: string }[] = [];
    for (const segment of KNOWN_ID_SEGMENTS) {
      for (const [request, answered] of atPasskeyId(segment)) {
        const answer = await failureOf(answered, { refuse2xx: true });
        if (answer) failures.push({ request: request.replace(/(.)\1{19,}/g, '$1…'), answer });
      }
    }

    expect(failures).toEqual([]);
    await expectPasskeyUntouched();
  });

  /** Near misses of the caller's passkey id found nothing: it is still there, and no near miss renamed it. */
  async function expectPasskeyUntouched(): Promise<void> {
    const { body } = await app().api.passkeys(session.tokens.access).expect(200);
    const passkeys = body.passkeys as { id: string; name: string }[];
    expect(passkeys.find((passkey) => passkey.id === passkeyId)).toEqual(
      expect.objectContaining({ name: expect.not.stringMatching(NEAR_MISS_NAME) }),
    );
  }
});

/** The name PATCHes at near misses of a passkey id send: seen on the passkey, one of them hit it. */
const NEAR_MISS_NAME = 'Renamed by a near miss';

/** Why the answer is not a 2xx (with `refuse2xx`, not even that) or a 4xx problem; undefined when it is. */
async function failureOf(request: Promise<Response>, { refuse2xx = false } = {}): Promise<string | undefined> {
  const answer = await request.then(
    (res) => (isProblemOr2xx(res) && !(refuse2xx && res.status < 300) ? undefined : `${res.status} ${res.text}`),
    (error: unknown) => String(error),
  );
  // Long runs of one character (a 2000-character id) are shortened, so that the reason shows.
  return answer?.replace(/(.)\1{19,}/g, (run, char: string) => `${char}…(${run.length})`).slice(0, 600);
}

/** A 2xx, or a 4xx answered as a problem; what expectNoServerError() asserts, as a value. */
function isProblemOr2xx(res: Response): boolean {
  if (res.status >= 200 && res.status < 300) return true;
  if (res.status < 400 || res.status >= 500) return false;
  return (
    /^application\/problem\+json\b/.test(String(res.headers['content-type'])) &&
    (res.body as { status?: unknown }).status === res.status
  );
}

/** `credential` (a genuine answer) with `changes` applied to a copy. */
function mutated(credential: object, changes: Mutation[]): Record<string, unknown> {
  const copy = structuredClone(credential) as Record<string, unknown>;
  for (const change of changes) {
    const path =
      'set' in change
        ? change.set
        : 'remove' in change
          ? change.remove
          : 'flip' in change
            ? change.flip
            : 'truncate' in change
              ? change.truncate
              : 'response.clientDataJSON';
    const parts = path.split('.');
    const key = parts.pop()!;
    const parent = parts.reduce<unknown>((node, part) => (isRecord(node) ? node[part] : undefined), copy);
    if (!isRecord(parent)) continue;
    const current = parent[key];
    if ('set' in change) {
      parent[key] = change.value;
    } else if ('remove' in change) {
      delete parent[key];
    } else if (typeof current !== 'string') {
      continue;
    } else if ('clientData' in change) {
      const decoded = parsedObject(Buffer.from(current, 'base64url').toString());
      if (decoded) parent[key] = base64url(JSON.stringify({ ...decoded, ...change.clientData }));
    } else {
      const bytes = Buffer.from(current, 'base64url');
      if ('flip' in change && bytes.length) bytes[change.at % bytes.length] ^= change.mask;
      const kept = 'truncate' in change ? bytes.subarray(0, change.length % (bytes.length + 1)) : bytes;
      parent[key] = kept.toString('base64url');
    }
  }
  return copy;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The body parsed, when it is a JSON object. */
function parsedObject(text: string): object | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
