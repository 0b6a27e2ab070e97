import { parseDuration, toSeconds } from './duration';

describe('parseDuration', () => {
  it.each([
    ['250ms', 250],
    ['90s', 90_000],
    ['5m', 300_000],
    ['24h', 86_400_000],
    ['7d', 604_800_000],
    ['0s', 0],
    [' 15m ', 900_000],
  ])('reads %j as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['5', '-1s', '1.5m', 'abc', '', 's', '5 m', '5M', '5w', '1e3s', '0x10s'])(
    'refuses %j, which is not a whole number with a unit',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );

  it('refuses a duration too large to be a safe integer of milliseconds', () => {
    expect(parseDuration('999999999999999999d')).toBeUndefined();
    expect(parseDuration(`${Number.MAX_SAFE_INTEGER + 2}ms`)).toBeUndefined();
  });

  it('accepts the largest safe number of milliseconds', () => {
    expect(parseDuration(`${Number.MAX_SAFE_INTEGER}ms`)).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe('toSeconds', () => {
  it.each([
    [0, 0],
    [1, 1],
    [999, 1],
    [1000, 1],
    [1001, 2],
    [90_000, 90],
    [90_500, 91],
  ])('rounds %d ms up to %d s', (ms, seconds) => {
    expect(toSeconds(ms)).toBe(seconds);
  });
});
