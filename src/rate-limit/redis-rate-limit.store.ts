import type Redis from 'ioredis';
import { ProblemException } from '../common/errors/problem.exception';
import type { LimitRule, LimitVerdict, RateLimitStore, WindowCount } from './rate-limit.store';

/**
 * Counters shared by every instance, each operation one Lua script so that it is atomic in Redis
 * and expiry is Redis's own (no timers in any process). Windows start at a key's first hit.
 */
const INCREMENT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {count, redis.call('PTTL', KEYS[1])}`;

/** KEYS: the rules' keys; ARGV: limit, window pairs; ARGV[#ARGV]: 1 to count, 0 to only check. */
const CONSUME = `
local count_hits = ARGV[#ARGV] == '1'
for i, key in ipairs(KEYS) do
  local used = tonumber(redis.call('GET', key) or '0')
  if used >= tonumber(ARGV[i * 2 - 1]) then
    local ttl = redis.call('PTTL', key)
    if ttl < 0 then ttl = tonumber(ARGV[i * 2]) end
    return {0, i, ttl}
  end
end
if count_hits then
  for i, key in ipairs(KEYS) do
    if redis.call('INCR', key) == 1 then redis.call('PEXPIRE', key, ARGV[i * 2]) end
  end
end
return {1}`;

type ScriptReply = [number, number?, number?];

type ScriptCommand = (numberOfKeys: number, ...keysAndArgs: (string | number)[]) => Promise<unknown>;

/** The scripts as ioredis commands; the names are unlikely to meet another caller's on a shared connection. */
interface ScriptedRedis {
  rateLimitIncrement: ScriptCommand;
  rateLimitConsume: ScriptCommand;
}

export class RedisRateLimitStore implements RateLimitStore {
  private readonly scripts: ScriptedRedis;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    // defineCommand sends EVALSHA, so only the script's digest travels with each call; the full
    // text goes once per connection, and again only if Redis answers NOSCRIPT (restart, SCRIPT FLUSH).
    redis.defineCommand('rateLimitIncrement', { lua: INCREMENT });
    redis.defineCommand('rateLimitConsume', { lua: CONSUME });
    this.scripts = redis as unknown as ScriptedRedis;
  }

  async increment(key: string, windowMs: number): Promise<WindowCount> {
    const [count, ttl] = (await this.eval('rateLimitIncrement', [this.prefix + key], [windowMs])) as [number, number];
    return { count, resetInMs: ttl > 0 ? ttl : windowMs };
  }

  consume(rules: LimitRule[]): Promise<LimitVerdict> {
    return this.run(rules, true);
  }

  check(rules: LimitRule[]): Promise<LimitVerdict> {
    return this.run(rules, false);
  }

  async reset(keys: string[]): Promise<void> {
    if (!keys.length) return;
    await this.redis.del(...keys.map((key) => this.prefix + key)).catch(unavailable);
  }

  private async run(rules: LimitRule[], countHits: boolean): Promise<LimitVerdict> {
    if (!rules.length) return { allowed: true };
    const keys = rules.map((rule) => this.prefix + rule.key);
    const args = rules.flatMap((rule) => [rule.limit, rule.windowMs]);
    const reply = await this.eval('rateLimitConsume', keys, [...args, countHits ? 1 : 0]);
    const [allowed, index = 1, ttl = 0] = reply as ScriptReply;
    return allowed ? { allowed: true } : { allowed: false, rule: rules[index - 1], retryAfterMs: ttl };
  }

  private eval(script: keyof ScriptedRedis, keys: string[], args: (string | number)[]): Promise<unknown> {
    return this.scripts[script](keys.length, ...keys, ...args).catch(unavailable);
  }
}

/**
 * Without its counters no limit can be enforced, so callers get a 503 rather than unguarded
 * access; the throttler's global limit chooses to fail open instead (see ThrottlerStorageAdapter).
 */
function unavailable(error: unknown): never {
  throw new ProblemException('service_unavailable', {
    detail: 'Rate limiting is temporarily unavailable. Try again in a moment.',
    retryAfter: 5,
    cause: error,
  });
}
