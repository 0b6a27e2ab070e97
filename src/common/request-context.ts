import { AsyncLocalStorage } from 'node:async_hooks';

const requests = new AsyncLocalStorage<{ reqId: string }>();

/**
 * Marks everything that runs from here on, in this request's async context, as the request's
 * work, so every log line it writes can carry the request id (PinoLoggerService reads it).
 */
export function enterRequest(reqId: string): void {
  requests.enterWith({ reqId });
}

/** The id of the request whose work is running, if any. */
export function currentRequestId(): string | undefined {
  return requests.getStore()?.reqId;
}
