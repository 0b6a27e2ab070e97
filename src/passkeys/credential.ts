// The parts of a browser's credential JSON read before, or stored after, the library checks it.

const TRANSPORTS = ['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'] as const;
type AuthenticatorTransportFuture = (typeof TRANSPORTS)[number];

/** The browser reports transports as it likes (the library passes them on unchecked): the known ones, once each. */
export function knownTransports(reported: unknown): string | null {
  if (!Array.isArray(reported)) return null;
  const known = TRANSPORTS.filter((transport) => reported.includes(transport));
  return known.length ? known.join(',') : null;
}

/** A stored passkey's transports, as the options list them. */
export function transportsOf(passkey: { transports: string | null }): AuthenticatorTransportFuture[] | undefined {
  return passkey.transports ? (passkey.transports.split(',') as AuthenticatorTransportFuture[]) : undefined;
}

/** The response's clientDataJSON, wherever a malformed body put it (or nothing). */
export function clientDataOf(response: Record<string, unknown>): unknown {
  const inner = response.response;
  return inner && typeof inner === 'object' ? (inner as Record<string, unknown>).clientDataJSON : undefined;
}
