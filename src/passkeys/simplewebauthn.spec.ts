import type * as SimpleWebAuthnPackage from '@simplewebauthn/server';
import { PasskeyAssertions } from './passkey-assertions.service';
import { PasskeysService } from './passkeys.service';
import { simpleWebAuthn } from './simplewebauthn';

const mockLoads: string[] = [];
jest.mock('@simplewebauthn/server', () => {
  mockLoads.push('@simplewebauthn/server');
  return jest.requireActual<typeof SimpleWebAuthnPackage>('@simplewebauthn/server');
});

describe('@simplewebauthn/server', () => {
  it('is not loaded with the passkey services, only by the first ceremony, and then once', async () => {
    expect([PasskeysService.name, PasskeyAssertions.name]).toEqual(['PasskeysService', 'PasskeyAssertions']);
    expect(mockLoads).toEqual([]);

    const options = await simpleWebAuthn().generateAuthenticationOptions({ rpID: 'example.com' });
    expect(options.rpId).toBe('example.com');
    expect(simpleWebAuthn()).toBe(simpleWebAuthn());
    expect(mockLoads).toEqual(['@simplewebauthn/server']);
  });
});
