import { installReason, installStamp, lockHash } from './peer';

describe('installReason', () => {
  const lock = '{"lockfileVersion": 3}';

  it('installs when node_modules was not installed by the bench', () => {
    expect(installReason({ stamp: undefined }, lock, '115')).toMatch(/missing/);
  });

  it('installs again when the lock file changed since', () => {
    expect(installReason({ stamp: `${installStamp('{"lockfileVersion": 2}', '115')}\n` }, lock, '115')).toMatch(
      /changed/,
    );
  });

  it('installs again for another Node, whose ABI the native addon was not built for', () => {
    expect(installReason({ stamp: `${installStamp(lock, '115')}\n` }, lock, '137')).toMatch(
      /another Node \(node-abi-115\)/,
    );
  });

  it('installs again over a stamp that names no Node (written before the ABI was recorded)', () => {
    expect(installReason({ stamp: `${lockHash(lock)}\n` }, lock, '115')).toMatch(/another Node \(unknown\)/);
  });

  it('does nothing when node_modules matches the lock file and this Node', () => {
    expect(installReason({ stamp: `${installStamp(lock, '115')}\n` }, lock, '115')).toBeUndefined();
  });
});
