import { parseDuration } from './duration';

/**
 * Readers for environment variables. Each one throws an error naming the variable, so a bad
 * value stops the boot with a message that says what to fix.
 */
export class EnvError extends Error {
  constructor(name: string, problem: string) {
    super(`Invalid environment variable ${name}: ${problem}`);
    this.name = 'EnvError';
  }
}

function raw(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

export function envString(name: string, fallback: string): string {
  return raw(name) ?? fallback;
}

export function envOptional(name: string): string | undefined {
  return raw(name);
}

export function envInt(name: string, fallback: number, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number {
  const value = raw(name);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new EnvError(name, `expected an integer from ${min} to ${max}, got "${value}"`);
  }
  return Number(value);
}

export function envRatio(name: string, fallback: number): number {
  const value = raw(name);
  if (value === undefined) return fallback;
  const ratio = Number(value);
  if (!/^\d*\.?\d+$/.test(value) || ratio > 1) {
    throw new EnvError(name, `expected a number from 0 to 1, got "${value}"`);
  }
  return ratio;
}

export function envBool(name: string, fallback: boolean): boolean {
  const value = raw(name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (['true', '1', 'yes'].includes(value)) return true;
  if (['false', '0', 'no'].includes(value)) return false;
  throw new EnvError(name, `expected true or false, got "${value}"`);
}

/** A duration such as `90s`, `5m`, `24h` or `7d`, in milliseconds. `0s` is allowed only where `allowZero`. */
export function envDuration(name: string, fallback: string, { allowZero = false } = {}): number {
  const value = raw(name) ?? fallback;
  const ms = parseDuration(value);
  if (ms === undefined || (ms === 0 && !allowZero)) {
    throw new EnvError(
      name,
      `expected a ${allowZero ? '' : 'positive '}duration like 90s, 5m, 24h or 7d, got "${value}"`,
    );
  }
  return ms;
}

export function envOneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
  const value = (raw(name) ?? fallback).toLowerCase() as T;
  if (!allowed.includes(value)) {
    throw new EnvError(name, `expected one of ${allowed.join(', ')}, got "${value}"`);
  }
  return value;
}

export function isProduction(): boolean {
  return envString('NODE_ENV', 'development') === 'production';
}
