import { registerAs } from '@nestjs/config';
import { isIP } from 'node:net';
import { envBool, envDuration, envInt, envOneOf, envString, isProduction, reject } from './env';
import { envOptionalSecret } from './secrets';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'verbose'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 * 1024 };

function byteSize(value: string): number | undefined {
  const match = /^(\d+)(b|kb|mb)?$/.exec(value.toLowerCase());
  const bytes = match ? Number(match[1]) * SIZE_UNITS[match[2] ?? 'b'] : 0;
  return bytes >= 1 ? bytes : undefined;
}

function envByteSize(name: string, fallback: string): number {
  const value = envString(name, fallback).toLowerCase();
  return byteSize(value) ?? reject(name, `expected a size like 16kb or 1mb, got "${value}"`, byteSize(fallback) ?? 0);
}

/**
 * Whose `X-Forwarded-For` entries to believe (Fastify's `trustProxy`): nobody, everybody (the
 * client is then the left-most entry, which the client itself may have written), or the proxies'
 * addresses and networks, which reads the header from the right and stops at the first address
 * that is not one of them: the client cannot forge its way past the proxies it does not run.
 * (Fastify no longer honours a hop count, so none is offered.)
 */
function envTrustProxy(name: string): boolean | string[] {
  const value = envString(name, 'false').trim();
  if (value === 'true' || value === 'false') return value === 'true';
  const networks = value.split(',').map((entry) => entry.trim());
  if (value && networks.every(isAddressOrNetwork)) return networks;
  return reject(name, `expected false, true or the proxies' addresses/CIDRs, got "${value}"`, false);
}

function isAddressOrNetwork(entry: string): boolean {
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (!family || rest.length) return false;
  return prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

export const appConfig = registerAs('app', () => ({
  /** NODE_ENV=production: the strict checks (secrets, no mock SMS, no open /metrics) apply. */
  production: isProduction(),
  port: envInt('PORT', 3000, { min: 0, max: 65535 }),
  host: envString('HOST', '0.0.0.0'),
  trustProxy: envTrustProxy('TRUST_PROXY'),
  bodyLimit: envByteSize('BODY_LIMIT', '16kb'),
  logLevel: envOneOf<LogLevel>('LOG_LEVEL', 'info', LOG_LEVELS),
  /**
   * Serve Swagger UI at /api/docs and the OpenAPI document at /api/docs-json. Off by default in
   * production: a map of every route and error is for developers, and can be switched on explicitly.
   */
  apiDocsEnabled: envBool('API_DOCS_ENABLED', !isProduction()),
  /** Bearer token /metrics requires; unset means open in development and absent in production. */
  metricsToken: envOptionalSecret('METRICS_TOKEN'),
  /** How long a SIGTERM waits for in-flight requests before the process exits anyway. */
  shutdownTimeoutMs: envDuration('SHUTDOWN_TIMEOUT', '10s'),
  /** A whole request (headers and body) must arrive within this, or the connection is closed. */
  requestTimeoutMs: envDuration('HTTP_REQUEST_TIMEOUT', '10s'),
  /** The request headers must arrive within this. */
  headersTimeoutMs: envDuration('HTTP_HEADERS_TIMEOUT', '5s'),
  /** An idle keep-alive connection is closed after this; longer than a load balancer's idle timeout. */
  keepAliveTimeoutMs: envDuration('HTTP_KEEP_ALIVE_TIMEOUT', '72s'),
}));
