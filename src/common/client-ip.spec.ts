import type { Socket } from 'node:net';
import { clientIp, maskIp } from './client-ip';

const request = (ip: string | undefined, remoteAddress = '192.0.2.10') => ({
  ip: ip as string,
  socket: { remoteAddress } as Socket,
});

describe('clientIp', () => {
  it.each(['203.0.113.7', '2001:db8::1', '::ffff:203.0.113.7', 'ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255'])(
    'takes the address Fastify resolved when it is an IP address: %s',
    (ip) => {
      expect(clientIp(request(ip))).toBe(ip);
    },
  );

  it.each([
    ['46 characters', 'ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.2555'],
    ['15 kB of text', 'x'.repeat(15_000)],
    ['an address with a port', '203.0.113.7:8080'],
    ['a zone-indexed IPv6 address, which net.isIP accepts at any length', `fe80::1%${'a'.repeat(60)}`],
    ['an empty value', ''],
    ['nothing', undefined],
  ])('falls back to the socket address for %s', (_label, ip) => {
    expect(clientIp(request(ip))).toBe('192.0.2.10');
  });
});

describe('maskIp', () => {
  it.each([
    ['203.0.113.77', '203.0.x.x'],
    ['::ffff:203.0.113.77', '203.0.x.x'],
    ['2001:db8:85a3::8a2e:370:7334', '2001:db8:85a3:x:x:x:x:x'],
    ['2001:DB8::1', '2001:db8:0:x:x:x:x:x'],
    ['2001::3:4:5:6:7:8', '2001:0:3:x:x:x:x:x'],
    ['2001:0db8:0001:0000:0000:0000:0000:0001', '2001:db8:1:x:x:x:x:x'],
    ['::1', '0:0:0:x:x:x:x:x'],
    ['not an address', 'x'],
  ])('masks %s as %s', (ip, masked) => {
    expect(maskIp(ip)).toBe(masked);
  });
});
