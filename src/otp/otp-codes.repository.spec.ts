import type { Repository } from 'typeorm';
import { useMemoryDatabase } from '../../test/helpers/memory-database';
import { Sql } from '../database/sql';
import { OtpCode } from './otp-code.entity';
import { OtpCodesRepository } from './otp-codes.repository';

const NOW = new Date('2026-07-08T12:00:00.000Z').getTime();
const DAY = 86_400_000;

describe('OtpCodesRepository', () => {
  const database = useMemoryDatabase();
  let codes: Repository<OtpCode>;
  const repository = () => new OtpCodesRepository(new Sql(database()));

  async function insertCode(phoneNumber: string, expiresAt: number, consumed = false): Promise<void> {
    await codes.insert({
      phoneNumber,
      codeHash: 'f'.repeat(64),
      attempts: 0,
      createdAt: new Date(expiresAt - 5 * 60_000),
      expiresAt: new Date(expiresAt),
      consumedAt: consumed ? new Date(expiresAt - 60_000) : null,
      invalidatedAt: null,
    });
  }

  const phones = async () => (await codes.find({ order: { id: 'ASC' } })).map((code) => code.phoneNumber);

  beforeAll(() => {
    codes = database().getRepository(OtpCode);
  });

  beforeEach(async () => {
    await codes.clear();
  });

  describe('purge', () => {
    beforeEach(async () => {
      await insertCode('+12015550111', NOW - 8 * DAY, true);
      await insertCode('+12015550112', NOW - 8 * DAY);
      await insertCode('+12015550113', NOW - 6 * DAY, true);
      await insertCode('+12015550114', NOW + 4 * 60_000);
    });

    it('deletes the codes, spent or not, that expired before the cutoff and says how many', async () => {
      await expect(repository().purge(new Date(NOW - 7 * DAY))).resolves.toBe(2);

      expect(await phones()).toEqual(['+12015550113', '+12015550114']);
    });

    it('deletes each row once when several instances purge at once', async () => {
      const counts = await Promise.all([0, 1, 2].map(() => repository().purge(new Date(NOW - 7 * DAY))));

      expect(counts.reduce((sum, count) => sum + count, 0)).toBe(2);
      expect(await phones()).toEqual(['+12015550113', '+12015550114']);
    });
  });

  describe('hydration from the entity', () => {
    it('reads the newest code as an OtpCode: numbers, Dates and nulls, whatever the driver returned', async () => {
      await insertCode('+12015550115', NOW - DAY);
      await insertCode('+12015550115', NOW, true);
      const [newest] = await codes.find({ order: { id: 'DESC' }, take: 1 });

      await expect(
        new Sql(database()).perform(
          repository().latest({ phoneNumber: '+12015550115', purpose: 'sign_in', userId: null }),
        ),
      ).resolves.toEqual({
        id: newest.id,
        phoneNumber: '+12015550115',
        purpose: 'sign_in',
        userId: null,
        codeHash: 'f'.repeat(64),
        attempts: 0,
        createdAt: new Date(NOW - 5 * 60_000),
        expiresAt: new Date(NOW),
        consumedAt: new Date(NOW - 60_000),
        invalidatedAt: null,
      });
    });
  });
});
