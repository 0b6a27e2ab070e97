import { SmsDeliveryError, withDeadline } from './sms-sender';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every pending promise callback and I/O callback run. */
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('withDeadline', () => {
  it("resolves with the call's value when the call settles before the deadline", async () => {
    const controller = new AbortController();

    await expect(withDeadline(Promise.resolve('sent'), controller.signal)).resolves.toBe('sent');
  });

  it("rejects with the call's own error, untouched, when the call fails before the deadline", async () => {
    const controller = new AbortController();
    const failure = new SmsDeliveryError('refused', 'invalid_number');

    await expect(withDeadline(Promise.reject(failure), controller.signal)).rejects.toBe(failure);
  });

  it('rejects as unavailable, naming SMS_TIMEOUT, when the signal aborts while the call is pending', async () => {
    const controller = new AbortController();
    const call = deferred<string>();
    const guarded = withDeadline(call.promise, controller.signal);

    controller.abort();

    await expect(guarded).rejects.toBeInstanceOf(SmsDeliveryError);
    await expect(guarded).rejects.toMatchObject({
      reason: 'unavailable',
      message: expect.stringContaining('SMS_TIMEOUT'),
    });
  });

  it('ignores the call settling after the deadline already rejected', async () => {
    const controller = new AbortController();
    const call = deferred<string>();
    const guarded = withDeadline(call.promise, controller.signal);
    controller.abort();
    await expect(guarded).rejects.toMatchObject({ reason: 'unavailable' });

    call.reject(new SmsDeliveryError('late refusal', 'not_allowed'));
    await flush();

    await expect(guarded).rejects.toMatchObject({ reason: 'unavailable' });
  });

  it('rejects at once as unavailable when the signal is already aborted, without waiting for the call', async () => {
    const controller = new AbortController();
    controller.abort();
    const never = new Promise<string>(() => undefined);

    await expect(withDeadline(never, controller.signal)).rejects.toMatchObject({ reason: 'unavailable' });
  });

  it('still observes the call when the signal was already aborted, so its late failure is not an unhandled rejection', async () => {
    const controller = new AbortController();
    controller.abort();
    const call = deferred<void>();
    await expect(withDeadline(call.promise, controller.signal)).rejects.toMatchObject({ reason: 'unavailable' });

    // Jest fails the test if this rejection goes unhandled (Node would crash the process).
    call.reject(new SmsDeliveryError('the provider failed after our deadline'));
    await flush();
  });

  it('removes the abort listener it added once the call settled, so the deadline signal keeps nothing alive', async () => {
    const controller = new AbortController();
    const add = jest.spyOn(controller.signal, 'addEventListener');
    const remove = jest.spyOn(controller.signal, 'removeEventListener');

    await expect(withDeadline(Promise.resolve(1), controller.signal)).resolves.toBe(1);
    await flush();

    expect(add).toHaveBeenCalledTimes(1);
    expect(remove).toHaveBeenCalledWith('abort', add.mock.calls[0][1]);
  });
});

describe('SmsDeliveryError', () => {
  it("defaults to 'unavailable', keeps the cause, and is named for logs", () => {
    const cause = new Error('socket hang up');

    const error = new SmsDeliveryError('Twilio: socket hang up', undefined, { cause });

    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'SmsDeliveryError', reason: 'unavailable', cause });
  });

  it('carries the setting to fix and the seconds to wait', () => {
    expect(
      new SmsDeliveryError('x', 'misconfigured', { setting: 'TWILIO_AUTH_TOKEN', retryAfterSeconds: 5 }).details,
    ).toEqual({ setting: 'TWILIO_AUTH_TOKEN', retryAfterSeconds: 5 });
  });
});
