import { ConfigModule } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { redisConfig } from '../config';
import { REDIS, RedisModule } from './redis.module';

const mockLoaded: string[] = [];
jest.mock('ioredis', () => {
  mockLoaded.push('ioredis');
  /** Enough of a client for RedisModule: its event listeners and quit(); it never connects. */
  class FakeRedis {
    constructor(readonly url: string) {}
    on() {
      return this;
    }
    quit() {
      return Promise.resolve('OK');
    }
  }
  return { __esModule: true, default: FakeRedis };
});

async function redisFor(url: string | undefined): Promise<unknown> {
  const saved = process.env.REDIS_URL;
  if (url === undefined) delete process.env.REDIS_URL;
  else process.env.REDIS_URL = url;
  try {
    const moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [redisConfig] }), RedisModule],
    }).compile();
    const redis = moduleRef.get<unknown>(REDIS);
    await moduleRef.close();
    return redis;
  } finally {
    if (saved === undefined) delete process.env.REDIS_URL;
    else process.env.REDIS_URL = saved;
  }
}

describe('RedisModule and ioredis', () => {
  it('provides no client and does not load ioredis when REDIS_URL is unset', async () => {
    await expect(redisFor(undefined)).resolves.toBeNull();

    expect(mockLoaded).toEqual([]);
  });

  it('loads ioredis once REDIS_URL is set, and connects to that URL', async () => {
    await expect(redisFor('redis://127.0.0.1:6379')).resolves.toMatchObject({ url: 'redis://127.0.0.1:6379' });

    expect(mockLoaded).toEqual(['ioredis']);
  });
});
