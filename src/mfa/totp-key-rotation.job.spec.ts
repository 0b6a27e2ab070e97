import type { ConfigType } from '@nestjs/config';
import type { mfaConfig } from '../config';
import { SecretBox } from './secret-box';
import { secretContext } from './second-factors.service';
import { TotpKeyRotationJob } from './totp-key-rotation.job';
import type { TotpFactorsRepository } from './totp-factors.repository';

const OLD_KEY = 'an-old-key-of-at-least-thirty-two-bytes-000';
const NEW_KEY = 'a-new-key-of-at-least-thirty-two-bytes-1111';

const box = (encryptionKey: string, previousEncryptionKey?: string) =>
  new SecretBox({ encryptionKey, previousEncryptionKey } as ConfigType<typeof mfaConfig>);

/** The table as a map of user id to sealed secret, with the two statements the job uses. */
function fakeTable(rows: Map<number, string>) {
  const repository = {
    sealedOtherwise: jest.fn((prefix: string) =>
      Promise.resolve(
        [...rows].filter(([, secret]) => !secret.startsWith(prefix)).map(([userId, secret]) => ({ userId, secret })),
      ),
    ),
    reseal: jest.fn((userId: number, from: string, to: string) => {
      if (rows.get(userId) === from) rows.set(userId, to);
      return Promise.resolve();
    }),
  };
  return repository as typeof repository & TotpFactorsRepository;
}

describe('TotpKeyRotationJob', () => {
  it('re-seals under MFA_ENCRYPTION_KEY every secret sealed under the previous key, and leaves the rest', async () => {
    const current = box(NEW_KEY).seal('CURRENTSECRET', secretContext(2));
    const rows = new Map([
      [1, box(OLD_KEY).seal('OLDSECRET', secretContext(1))],
      [2, current],
    ]);
    const rotating = box(NEW_KEY, OLD_KEY);

    await new TotpKeyRotationJob(fakeTable(rows), rotating).onApplicationBootstrap();

    expect(box(NEW_KEY).open(rows.get(1)!, secretContext(1))).toBe('OLDSECRET');
    expect(rows.get(2)).toBe(current);
  });

  it('reads nothing when no previous key is set', async () => {
    const table = fakeTable(new Map([[1, box(OLD_KEY).seal('OLDSECRET', secretContext(1))]]));
    await new TotpKeyRotationJob(table, box(NEW_KEY)).onApplicationBootstrap();
    expect(table.sealedOtherwise).not.toHaveBeenCalled();
  });

  it('skips a secret that opens under neither key, and carries on with the others', async () => {
    const rows = new Map([
      [1, box('a-third-key-nobody-configured-anymore-2222').seal('LOST', secretContext(1))],
      [2, box(OLD_KEY).seal('OLDSECRET', secretContext(2))],
    ]);
    const lost = rows.get(1);

    await new TotpKeyRotationJob(fakeTable(rows), box(NEW_KEY, OLD_KEY)).onApplicationBootstrap();

    expect(rows.get(1)).toBe(lost);
    expect(box(NEW_KEY).open(rows.get(2)!, secretContext(2))).toBe('OLDSECRET');
  });
});
