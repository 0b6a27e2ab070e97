import { createServer } from 'node:net';
import { freePort } from './processes';

describe('freePort', () => {
  it('hands out ports below the ephemeral range, a different one each time, that a server can listen on', async () => {
    const ports = [await freePort(), await freePort(), await freePort()];

    expect(new Set(ports).size).toBe(3);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(20_000);
      expect(port).toBeLessThan(32_768);
      const server = createServer();
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
