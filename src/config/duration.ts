const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `250ms`, `90s`, `5m`, `24h`, `7d` into milliseconds; `undefined` when it is not such a string. */
export function parseDuration(value: string): number | undefined {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(value.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * UNIT_MS[match[2]];
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** Whole seconds, rounded up, for headers such as `Retry-After` and JWT lifetimes. */
export function toSeconds(ms: number): number {
  return Math.ceil(ms / 1000);
}
