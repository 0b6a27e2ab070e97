import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { discardUnreadBody } from './unread-body';

/** A request body still arriving: a stream the test writes to. */
const arrivingBody = () => new PassThrough() as PassThrough & IncomingMessage;

describe('discardUnreadBody', () => {
  it('reads the rest of the body and resolves true once it has ended', async () => {
    const body = arrivingBody();
    const drained = discardUnreadBody(body, 1024);
    body.write(Buffer.alloc(600));
    body.end(Buffer.alloc(400));

    await expect(drained).resolves.toBe(true);
  });

  it('gives up with false once more than the bound arrived, so the caller closes the connection', async () => {
    const body = arrivingBody();
    const drained = discardUnreadBody(body, 1024);
    body.write(Buffer.alloc(600));
    body.write(Buffer.alloc(600));

    await expect(drained).resolves.toBe(false);
  });

  it('resolves false when the connection goes away first', async () => {
    const body = arrivingBody();
    const drained = discardUnreadBody(body, 1024);
    body.destroy();

    await expect(drained).resolves.toBe(false);
  });

  it('resolves at once for a body that has already ended', async () => {
    const body = arrivingBody();
    body.end();
    body.resume();
    await new Promise((resolve) => body.once('end', resolve));

    await expect(discardUnreadBody(body)).resolves.toBe(true);
  });
});
