import { installReason, lockHash } from './peer';

describe('installReason', () => {
  const lock = '{"lockfileVersion": 3}';

  it('installs when node_modules was not installed by the bench', () => {
    expect(installReason({ stamp: undefined }, lock)).toMatch(/missing/);
  });

  it('installs again when the lock file changed since', () => {
    expect(installReason({ stamp: `${lockHash('{"lockfileVersion": 2}')}\n` }, lock)).toMatch(/changed/);
  });

  it('does nothing when node_modules matches the lock file', () => {
    expect(installReason({ stamp: `${lockHash(lock)}\n` }, lock)).toBeUndefined();
  });
});
