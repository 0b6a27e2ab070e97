import {
  collectEnvErrors,
  ConfigError,
  EnvError,
  envBool,
  envDuration,
  envInt,
  envOneOf,
  envOptional,
  envOrNone,
  envRatio,
  envString,
  isProduction,
} from './env';

const NAME = 'OTP_AUTH_SPEC_VARIABLE';

describe('environment readers', () => {
  const saved = process.env;

  beforeEach(() => {
    process.env = { ...saved };
    delete process.env[NAME];
  });

  afterEach(() => {
    process.env = saved;
  });

  /** Runs `read` and returns the EnvError it threw, failing the test if it threw anything else. */
  function envErrorFrom(read: () => unknown): EnvError {
    try {
      read();
    } catch (error) {
      expect(error).toBeInstanceOf(EnvError);
      return error as EnvError;
    }
    throw new Error('expected the reader to throw');
  }

  describe('envString and envOptional', () => {
    it('falls back when the variable is unset or blank and trims a set value', () => {
      expect(envString(NAME, 'fallback')).toBe('fallback');
      expect(envOptional(NAME)).toBeUndefined();
      process.env[NAME] = '   ';
      expect(envString(NAME, 'fallback')).toBe('fallback');
      expect(envOptional(NAME)).toBeUndefined();
      process.env[NAME] = '  value ';
      expect(envString(NAME, 'fallback')).toBe('value');
      expect(envOptional(NAME)).toBe('value');
    });
  });

  describe('envOrNone', () => {
    it('falls back when unset, means none when set but blank, and trims a set value', () => {
      expect(envOrNone(NAME, 'data/file')).toBe('data/file');
      process.env[NAME] = ' ';
      expect(envOrNone(NAME, 'data/file')).toBeUndefined();
      process.env[NAME] = ' other/file ';
      expect(envOrNone(NAME, 'data/file')).toBe('other/file');
    });
  });

  describe('envInt', () => {
    it('falls back when unset and reads a value inside the bounds, bounds included', () => {
      expect(envInt(NAME, 7, { min: 4, max: 10 })).toBe(7);
      process.env[NAME] = '4';
      expect(envInt(NAME, 7, { min: 4, max: 10 })).toBe(4);
      process.env[NAME] = '10';
      expect(envInt(NAME, 7, { min: 4, max: 10 })).toBe(10);
    });

    it.each(['3', '11', '-5', '5.5', '1e1', 'six', '0x6'])('refuses %j for a 4..10 variable, naming it', (value) => {
      process.env[NAME] = value;
      const error = envErrorFrom(() => envInt(NAME, 7, { min: 4, max: 10 }));
      expect(error.message).toContain(NAME);
      expect(error.message).toContain(`"${value}"`);
      expect(error.message).toContain('from 4 to 10');
    });

    it('refuses an integer beyond the safe range by default', () => {
      process.env[NAME] = '99999999999999999999';
      expect(envErrorFrom(() => envInt(NAME, 1)).message).toContain(NAME);
    });
  });

  describe('envBool', () => {
    it.each([
      ['true', true],
      ['TRUE', true],
      ['1', true],
      ['yes', true],
      ['false', false],
      ['0', false],
      ['No', false],
    ])('reads %j as %s', (value, expected) => {
      process.env[NAME] = value;
      expect(envBool(NAME, !expected)).toBe(expected);
    });

    it('falls back when unset', () => {
      expect(envBool(NAME, true)).toBe(true);
      expect(envBool(NAME, false)).toBe(false);
    });

    it.each(['on', 'y', '2', 'truthy'])('refuses %j, naming the variable', (value) => {
      process.env[NAME] = value;
      expect(envErrorFrom(() => envBool(NAME, false)).message).toContain(NAME);
    });
  });

  describe('envRatio', () => {
    it.each([
      ['0', 0],
      ['1', 1],
      ['0.05', 0.05],
      ['.5', 0.5],
      ['1.0', 1],
    ])('reads %j as %d', (value, expected) => {
      process.env[NAME] = value;
      expect(envRatio(NAME, 0.3)).toBe(expected);
    });

    it('falls back when unset', () => {
      expect(envRatio(NAME, 0.05)).toBe(0.05);
    });

    it.each(['1.01', '2', '-0.1', '5%', 'half', '1.', 'NaN', 'Infinity'])(
      'refuses %j, which is not a number from 0 to 1, naming the variable',
      (value) => {
        process.env[NAME] = value;
        expect(envErrorFrom(() => envRatio(NAME, 0.05)).message).toContain(NAME);
      },
    );
  });

  describe('envDuration', () => {
    it('reads the fallback when unset and the variable when set', () => {
      expect(envDuration(NAME, '5m')).toBe(300_000);
      process.env[NAME] = '2s';
      expect(envDuration(NAME, '5m')).toBe(2_000);
    });

    it.each(['5', '-1s', '1.5m', 'abc', '5 minutes'])('refuses %j, naming the variable', (value) => {
      process.env[NAME] = value;
      const error = envErrorFrom(() => envDuration(NAME, '5m'));
      expect(error.message).toContain(NAME);
      expect(error.message).toContain(`"${value}"`);
    });

    it('refuses 0s unless the variable allows zero', () => {
      process.env[NAME] = '0s';
      expect(envErrorFrom(() => envDuration(NAME, '60s')).message).toMatch(new RegExp(`${NAME}.*positive duration`));
      expect(envDuration(NAME, '60s', { allowZero: true })).toBe(0);
    });

    it('refuses a bad fallback too, so a typo in code cannot slip through', () => {
      expect(envErrorFrom(() => envDuration(NAME, 'soon')).message).toContain(NAME);
    });
  });

  describe('envOneOf', () => {
    const LEVELS = ['error', 'info', 'debug'] as const;

    it('reads an allowed value case-insensitively and falls back when unset', () => {
      expect(envOneOf(NAME, 'info', LEVELS)).toBe('info');
      process.env[NAME] = 'DEBUG';
      expect(envOneOf(NAME, 'info', LEVELS)).toBe('debug');
    });

    it('refuses a value outside the list, naming the variable and the choices', () => {
      process.env[NAME] = 'loud';
      const error = envErrorFrom(() => envOneOf(NAME, 'info', LEVELS));
      expect(error.message).toContain(NAME);
      expect(error.message).toContain('error, info, debug');
      expect(error.message).toContain('"loud"');
    });
  });

  describe('isProduction', () => {
    it('is true only for NODE_ENV=production, in any case', () => {
      delete process.env.NODE_ENV;
      expect(isProduction()).toBe(false);
      process.env.NODE_ENV = 'test';
      expect(isProduction()).toBe(false);
      process.env.NODE_ENV = 'Development';
      expect(isProduction()).toBe(false);
      process.env.NODE_ENV = 'production';
      expect(isProduction()).toBe(true);
      process.env.NODE_ENV = 'Production';
      expect(isProduction()).toBe(true);
    });

    it.each(['prod', 'Prod', 'staging', 'live'])(
      'refuses NODE_ENV=%j, naming NODE_ENV and the three values to set',
      (value) => {
        process.env.NODE_ENV = value;
        const error = envErrorFrom(() => isProduction());
        expect(error.variable).toBe('NODE_ENV');
        expect(error.problem).toBe(`expected development, test or production (any case), got "${value}"`);
      },
    );

    it('stands in as not production while collecting, so NODE_ENV is reported once with the rest', () => {
      process.env.NODE_ENV = 'prod';
      process.env[NAME] = 'seven';
      let error: unknown;
      try {
        collectEnvErrors(() => [isProduction(), envInt(NAME, 1), isProduction()]);
      } catch (thrown) {
        error = thrown;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).errors.map((e) => e.variable)).toEqual(['NODE_ENV', NAME]);
    });
  });

  it('names itself EnvError so boot logs say what kind of failure it was', () => {
    expect(new EnvError(NAME, 'bad')).toMatchObject({
      name: 'EnvError',
      message: `Invalid environment variable ${NAME}: bad`,
      variable: NAME,
      problem: 'bad',
    });
  });

  describe('collectEnvErrors', () => {
    const OTHER = `${NAME}_OTHER`;

    afterEach(() => {
      delete process.env[OTHER];
    });

    function configErrorFrom(read: () => unknown): ConfigError {
      try {
        read();
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return error as ConfigError;
      }
      throw new Error('expected a ConfigError');
    }

    it('returns what the readers read when every variable is good', () => {
      process.env[NAME] = '7';
      expect(collectEnvErrors(() => [envInt(NAME, 1), envBool(OTHER, true)])).toEqual([7, true]);
    });

    it('keeps reading past a bad variable, the reader standing in its fallback, and reports them all', () => {
      process.env[NAME] = 'seven';
      process.env[OTHER] = 'perhaps';
      const seen: unknown[] = [];

      const error = configErrorFrom(() =>
        collectEnvErrors(() => seen.push(envInt(NAME, 1), envBool(OTHER, true), envDuration(`${NAME}_UNSET`, '5m'))),
      );

      expect(seen).toEqual([1, true, 300_000]);
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe('ConfigError');
      expect(error.errors.map((e) => e.variable)).toEqual([NAME, OTHER]);
      expect(error.message).toBe(
        `Invalid environment variables: ${NAME}: expected an integer from 0 to ${Number.MAX_SAFE_INTEGER}, got "seven"; ` +
          `${OTHER}: expected true or false, got "perhaps"`,
      );
    });

    it('names a variable once, with its first problem, however often it is read', () => {
      process.env[NAME] = 'seven';
      const error = configErrorFrom(() => collectEnvErrors(() => [envInt(NAME, 1), envInt(NAME, 1, { max: 5 })]));
      expect(error.errors).toHaveLength(1);
    });

    it('records an EnvError thrown directly as one more bad variable', () => {
      process.env[OTHER] = 'perhaps';
      const error = configErrorFrom(() =>
        collectEnvErrors(() => {
          envBool(OTHER, true);
          throw new EnvError(NAME, 'bad');
        }),
      );
      expect(error.errors.map((e) => e.variable)).toEqual([OTHER, NAME]);
    });

    it('lets any other error through untouched', () => {
      const bug = new TypeError('not a config problem');
      expect(() =>
        collectEnvErrors(() => {
          throw bug;
        }),
      ).toThrow(bug);
    });

    it('leaves the readers throwing at once afterwards', () => {
      process.env[NAME] = 'seven';
      configErrorFrom(() => collectEnvErrors(() => envInt(NAME, 1)));
      expect(envErrorFrom(() => envInt(NAME, 1)).message).toContain(NAME);
    });
  });
});
