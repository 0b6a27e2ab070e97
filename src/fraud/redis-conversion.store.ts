import type Redis from 'ioredis';
import { ProblemException } from '../common/errors/problem.exception';
import type { BreakerScope, ConversionRules, ConversionStore, SendVerdict } from './conversion.store';

/*
 * Each scope has a hash per fixed window (`<prefix><key>:<index>`, fields s and v) and a trip key
 * (`<prefix>trip:<key>`) holding when the trip ends. Times come from the caller, so every instance
 * and a test's clock agree on windows; Redis's own expiry only collects what is no longer read.
 */

/** KEYS: trip keys; ARGV[1]: now. Returns the longest time left. */
const TRIPPED_FOR = `
local left = 0
for _, key in ipairs(KEYS) do
  local until_ms = tonumber(redis.call('GET', key) or '0')
  if until_ms - tonumber(ARGV[1]) > left then left = until_ms - tonumber(ARGV[1]) end
end
return left`;

/**
 * KEYS: per scope, its trip key, current window and previous window. ARGV: now, window, weight of
 * the previous window, minimum conversion, cooldown, then each scope's minimum sends. Returns
 * {0, longest cooldown left} when a scope is tripped, else {1, the 1-based numbers of the scopes
 * it tripped...}.
 */
const RECORD_SEND = `
local now, window, weight = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local min_conversion, cooldown = tonumber(ARGV[4]), tonumber(ARGV[5])
local left = 0
for i = 1, #KEYS / 3 do
  local until_ms = tonumber(redis.call('GET', KEYS[i * 3 - 2]) or '0')
  if until_ms - now > left then left = until_ms - now end
end
if left > 0 then return {0, left} end
local verdict = {1}
for i = 1, #KEYS / 3 do
  local trip, current, previous = KEYS[i * 3 - 2], KEYS[i * 3 - 1], KEYS[i * 3]
  local sent = redis.call('HINCRBY', current, 's', 1)
  redis.call('PEXPIRE', current, window * 2)
  local verified = tonumber(redis.call('HGET', current, 'v') or '0')
  local old = redis.call('HMGET', previous, 's', 'v')
  sent = sent + tonumber(old[1] or '0') * weight
  verified = verified + tonumber(old[2] or '0') * weight
  if sent >= tonumber(ARGV[5 + i]) and verified < min_conversion * sent then
    redis.call('SET', trip, now + cooldown, 'PX', cooldown)
    redis.call('DEL', current, previous)
    table.insert(verdict, i)
  end
end
return verdict`;

/** KEYS: per scope, its trip key and current window; ARGV: now, window. */
const RECORD_VERIFIED = `
for i = 1, #KEYS / 2 do
  if tonumber(redis.call('GET', KEYS[i * 2 - 1]) or '0') <= tonumber(ARGV[1]) then
    redis.call('HINCRBY', KEYS[i * 2], 'v', 1)
    redis.call('PEXPIRE', KEYS[i * 2], ARGV[2] * 2)
  end
end
return 0`;

type ScriptCommand = (numberOfKeys: number, ...keysAndArgs: (string | number)[]) => Promise<unknown>;

interface ScriptedRedis {
  conversionTrippedFor: ScriptCommand;
  conversionRecordSend: ScriptCommand;
  conversionRecordVerified: ScriptCommand;
}

/** The breaker's counts shared by every instance, each operation one Lua script. */
export class RedisConversionStore implements ConversionStore {
  private readonly scripts: ScriptedRedis;

  constructor(
    redis: Redis,
    private readonly prefix: string,
    private readonly rules: ConversionRules,
  ) {
    redis.defineCommand('conversionTrippedFor', { lua: TRIPPED_FOR });
    redis.defineCommand('conversionRecordSend', { lua: RECORD_SEND });
    redis.defineCommand('conversionRecordVerified', { lua: RECORD_VERIFIED });
    this.scripts = redis as unknown as ScriptedRedis;
  }

  async trippedFor(keys: string[], now: number): Promise<number> {
    if (!keys.length) return 0;
    return Number(
      await this.eval(
        'conversionTrippedFor',
        keys.map((key) => this.tripKey(key)),
        [now],
      ),
    );
  }

  async recordSend(scopes: BreakerScope[], now: number): Promise<SendVerdict> {
    if (!scopes.length) return { admitted: true, tripped: [] };
    const { windowMs, minConversion, cooldownMs } = this.rules;
    const index = Math.floor(now / windowMs);
    const keys = scopes.flatMap(({ key }) => [
      this.tripKey(key),
      this.windowKey(key, index),
      this.windowKey(key, index - 1),
    ]);
    const weight = 1 - (now % windowMs) / windowMs;
    const args = [now, windowMs, weight, minConversion, cooldownMs, ...scopes.map((scope) => scope.minSends)];
    const [admitted, ...rest] = (await this.eval('conversionRecordSend', keys, args)) as number[];
    return admitted
      ? { admitted: true, tripped: rest.map((i) => scopes[i - 1].key) }
      : { admitted: false, retryAfterMs: rest[0] };
  }

  async recordVerified(keys: string[], now: number): Promise<void> {
    if (!keys.length) return;
    const index = Math.floor(now / this.rules.windowMs);
    const scopeKeys = keys.flatMap((key) => [this.tripKey(key), this.windowKey(key, index)]);
    await this.eval('conversionRecordVerified', scopeKeys, [now, this.rules.windowMs]);
  }

  private tripKey(key: string): string {
    return `${this.prefix}trip:${key}`;
  }

  private windowKey(key: string, index: number): string {
    return `${this.prefix}${key}:${index}`;
  }

  private eval(script: keyof ScriptedRedis, keys: string[], args: (string | number)[]): Promise<unknown> {
    return this.scripts[script](keys.length, ...keys, ...args).catch((error: unknown) => {
      // Like the rate limits: without its counts the breaker cannot hold, so no SMS leaves.
      throw new ProblemException('service_unavailable', {
        detail: 'Fraud checks are temporarily unavailable. Try again in a moment.',
        retryAfter: 5,
        cause: error,
      });
    });
  }
}
