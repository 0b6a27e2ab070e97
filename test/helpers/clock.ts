/** Fakes only `Date`, so the app's clock can jump while its sockets and timers run as usual. */
export function useClock(): { advance: (ms: number) => void } {
  beforeEach(() => {
    jest.useFakeTimers({
      now: Date.now(),
      doNotFake: [
        'hrtime',
        'nextTick',
        'performance',
        'queueMicrotask',
        'setImmediate',
        'clearImmediate',
        'setInterval',
        'clearInterval',
        'setTimeout',
        'clearTimeout',
      ],
    });
  });
  afterEach(() => jest.useRealTimers());
  return { advance: (ms) => jest.setSystemTime(Date.now() + ms) };
}
