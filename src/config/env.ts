import { parseDuration } from './duration';

/**
 * Readers for environment variables. A bad value is refused with an error naming the variable:
 * thrown at once, or, while collectEnvErrors() runs, recorded so that one boot reports them all.
 */
export class EnvError extends Error {
  constructor(
    readonly variable: string,
    readonly problem: string,
  ) {
    super(`Invalid environment variable ${variable}: ${problem}`);
    this.name = 'EnvError';
  }
}

/** Every bad variable of one collectEnvErrors() run, in one message, one line. */
export class ConfigError extends Error {
  constructor(readonly errors: readonly EnvError[]) {
    super(
      errors.length === 1
        ? errors[0].message
        : `Invalid environment variables: ${errors.map((e) => `${e.variable}: ${e.problem}`).join('; ')}`,
    );
    this.name = 'ConfigError';
  }
}

let collected: EnvError[] | undefined;

/**
 * Refuses a variable's value. Outside collectEnvErrors() it throws; inside, it records the error
 * and returns `placeholder`, so that reading goes on to the next variable.
 */
export function reject<T>(variable: string, problem: string, placeholder: T): T {
  const error = new EnvError(variable, problem);
  if (!collected) throw error;
  collected.push(error);
  return placeholder;
}

/** Runs `read` with every refusal recorded, then throws one ConfigError naming each bad variable once. */
export function collectEnvErrors<T>(read: () => T): T {
  const outer = collected;
  const errors: EnvError[] = [];
  collected = errors;
  let value: T | undefined;
  try {
    value = read();
  } catch (error) {
    if (!(error instanceof EnvError)) throw error;
    errors.push(error);
  } finally {
    collected = outer;
  }
  if (errors.length) {
    // A placeholder can make a later check of the same variable fail again; its first problem is the one to fix.
    const seen = new Set<string>();
    throw new ConfigError(errors.filter(({ variable }) => !seen.has(variable) && seen.add(variable)));
  }
  return value as T;
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

/** `fallback` when unset; set but blank means none, so a default can be switched off (`SMS_MOCK_OUTBOX=`). */
export function envOrNone(name: string, fallback: string): string | undefined {
  return process.env[name] === undefined ? fallback : raw(name);
}

export function envInt(name: string, fallback: number, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number {
  const value = raw(name);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    return reject(name, `expected an integer from ${min} to ${max}, got "${value}"`, fallback);
  }
  return Number(value);
}

export function envRatio(name: string, fallback: number): number {
  const value = raw(name);
  if (value === undefined) return fallback;
  const ratio = Number(value);
  if (!/^\d*\.?\d+$/.test(value) || ratio > 1) {
    return reject(name, `expected a number from 0 to 1, got "${value}"`, fallback);
  }
  return ratio;
}

export function envBool(name: string, fallback: boolean): boolean {
  const value = raw(name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (['true', '1', 'yes'].includes(value)) return true;
  if (['false', '0', 'no'].includes(value)) return false;
  return reject(name, `expected true or false, got "${value}"`, fallback);
}

/** A duration such as `90s`, `5m`, `24h` or `7d`, in milliseconds. `0s` is allowed only where `allowZero`. */
export function envDuration(name: string, fallback: string, { allowZero = false } = {}): number {
  const value = raw(name) ?? fallback;
  const ms = parseDuration(value);
  if (ms === undefined || (ms === 0 && !allowZero)) {
    return reject(
      name,
      `expected a ${allowZero ? '' : 'positive '}duration like 90s, 5m, 24h or 7d, got "${value}"`,
      parseDuration(fallback) ?? 0,
    );
  }
  return ms;
}

export function envOneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
  const value = (raw(name) ?? fallback).toLowerCase() as T;
  if (!allowed.includes(value)) {
    return reject(name, `expected one of ${allowed.join(', ')}, got "${value}"`, fallback);
  }
  return value;
}

export const NODE_ENVS = ['development', 'test', 'production'] as const;

/**
 * The one answer to "is this production?": appConfig's `production` flag, and the strict checks here.
 * NODE_ENV is read case-insensitively (`Production` is production) and anything else stops the boot,
 * so a `prod` cannot run quietly as development with mock SMS and an open /metrics.
 */
export function isProduction(): boolean {
  const value = raw('NODE_ENV') ?? 'development';
  const nodeEnv = value.toLowerCase();
  if (!(NODE_ENVS as readonly string[]).includes(nodeEnv)) {
    return reject('NODE_ENV', `expected development, test or production (any case), got "${value}"`, false);
  }
  return nodeEnv === 'production';
}
