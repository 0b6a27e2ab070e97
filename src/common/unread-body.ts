import type { IncomingMessage } from 'node:http';

/** How much of a refused body is still read, and thrown away, so that its client reads the answer. */
export const MAX_UNREAD_BODY_BYTES = 4 * 1024 * 1024;

/**
 * Reads and discards the rest of a request body that is being answered unread (413 on its
 * Content-Length, 415). Closing a connection while its client is still writing makes the kernel
 * reset it, and a client that writes its whole body before reading then gets EPIPE or ECONNRESET
 * instead of the answer. Resolves true once the body has ended; false once the connection is
 * gone or more than `maxBytes` arrived, after which the caller closes it. HTTP_REQUEST_TIMEOUT
 * bounds the time this can take.
 */
export function discardUnreadBody(request: IncomingMessage, maxBytes = MAX_UNREAD_BODY_BYTES): Promise<boolean> {
  if (request.readableEnded || request.destroyed) return Promise.resolve(request.readableEnded);
  return new Promise((resolve) => {
    let received = 0;
    const finish = (ended: boolean) => {
      request.off('data', onData).off('end', onEnd).off('close', onGone).off('error', onGone);
      resolve(ended);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received <= maxBytes) return;
      request.pause();
      finish(false);
    };
    const onEnd = () => finish(true);
    const onGone = () => finish(false);
    request.on('data', onData).on('end', onEnd).on('close', onGone).on('error', onGone);
    request.resume();
  });
}
