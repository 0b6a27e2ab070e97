type SimpleWebAuthn = typeof import('@simplewebauthn/server');

let loaded: SimpleWebAuthn | undefined;

/**
 * @simplewebauthn/server, loaded by the first passkey ceremony rather than at boot: with its ASN.1
 * and X.509 packages it is about 280 files, 300-400 ms of module loading and 10 MiB of heap
 * (docs/benchmarks.md, "Loading less at boot"), which an instance whose users sign in by SMS alone never needs.
 * The first ceremony an instance runs waits for it once.
 */
export function simpleWebAuthn(): SimpleWebAuthn {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (loaded ??= require('@simplewebauthn/server') as SimpleWebAuthn);
}
