import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { isIP } from 'node:net';

/** What clientIp() reads: Fastify's request, whose `ip` honours TRUST_PROXY. */
type ClientRequest = Pick<FastifyRequest, 'ip' | 'socket'>;

/**
 * The client's address, the one place it is read (per-IP limits, sessions, the request log).
 * Behind a trusted proxy `request.ip` is whatever `X-Forwarded-For` held, text of any length;
 * only a valid IP address is believed, anything else falls back to the socket's address, so a
 * forged header can neither overflow `sessions.ip` nor mint a fresh, huge rate-limit key.
 */
export function clientIp(request: ClientRequest): string {
  const claimed = request.ip;
  return isClientAddress(claimed) ? claimed : (request.socket?.remoteAddress ?? '');
}

/** An IPv4 or IPv6 address; no zone index (`fe80::1%eth0`), which is local and of any length. */
function isClientAddress(value: string | undefined): value is string {
  return typeof value === 'string' && isIP(value) !== 0 && !value.includes('%');
}

/** The client's address (see clientIp()) as a route handler parameter. */
export const ClientIp = createParamDecorator((_data: unknown, context: ExecutionContext): string =>
  clientIp(context.switchToHttp().getRequest<FastifyRequest>()),
);

/**
 * An address as logs may hold it, the way phones are masked: the network part only (IPv4's first
 * two octets, `203.0.x.x`; IPv6's first three groups, `2001:db8:85a3:x:x:x:x:x`), enough to spot
 * a network misbehaving, not enough to single out a person.
 */
export function maskIp(ip: string): string {
  const v4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.\d{1,3}\.\d{1,3}$/i.exec(ip);
  if (v4) return `${v4[1]}.${v4[2]}.x.x`;
  if (isIP(ip) !== 6) return 'x';
  return `${ipv6Groups(ip.split('%')[0].toLowerCase()).slice(0, 3).join(':')}:x:x:x:x:x`;
}

/** A valid IPv6 address's eight groups, `::` expanded (an embedded IPv4 tail counts as two). */
function ipv6Groups(ip: string): string[] {
  const groups = (part: string | undefined): string[] =>
    part
      ? part.split(':').flatMap((group) => (group.includes('.') ? ['0', '0'] : [parseInt(group, 16).toString(16)]))
      : [];
  const [head, tail] = ip.split('::');
  const left = groups(head);
  if (tail === undefined) return left;
  const right = groups(tail);
  return [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
}
