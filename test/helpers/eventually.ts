import { setTimeout as sleep } from 'node:timers/promises';

/** Retries `attempt` every 100 ms until it answers `status`, for at most `withinMs`; then asserts it. */
export async function eventually<T extends { status: number; body?: unknown }>(
  attempt: () => Promise<T>,
  status: number,
  withinMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + withinMs;
  let last = await attempt();
  while (last.status !== status && Date.now() < deadline) {
    await sleep(100);
    last = await attempt();
  }
  // The body too, so that a failure shows what the last answer said.
  expect({ status: last.status, body: last.body }).toMatchObject({ status });
  return last;
}
