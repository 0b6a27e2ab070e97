import type { Step } from '../database/sql';
import { AuditTrail } from './audit-trail.service';
import type { AuditEventsRepository, NewAuditEvent } from './audit-events.repository';

/** Runs a step to its end, answering every statement with an empty result. */
function run<T>(step: Step<T>): T {
  let next = step.next();
  while (!next.done) next = step.next({ rows: [], affected: 1 });
  return next.value;
}

describe('AuditTrail', () => {
  const inserted: NewAuditEvent[] = [];
  const events = {
    // eslint-disable-next-line require-yield -- records the row instead of running a statement
    *insert(events: NewAuditEvent[]): Step<void> {
      inserted.push(...events);
    },
  } as unknown as AuditEventsRepository;
  const trail = (secret: string) => new AuditTrail(events, {} as never, { secret } as never);

  beforeEach(() => inserted.splice(0));

  it('keeps a number only as a keyed hash, a masked form and its country', () => {
    const at = new Date('2026-12-01T10:00:00Z');
    run(trail('one-secret').record({ type: 'code_sent', phoneNumber: '+12015550123', purpose: 'sign_in' }, at));
    const [event] = inserted;
    expect(event).toMatchObject({ type: 'code_sent', createdAt: at, phoneMasked: '+1201*****23', country: 'US' });
    expect(event.phoneHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(event)).not.toContain('2015550123');
  });

  it('hashes a number alike every time under one secret, and differently under another', () => {
    expect(trail('one-secret').phoneHash('+12015550123')).toBe(trail('one-secret').phoneHash('+12015550123'));
    expect(trail('one-secret').phoneHash('+12015550123')).not.toBe(trail('other-secret').phoneHash('+12015550123'));
  });

  it('has no country for a range no country holds', () => {
    run(trail('s').record({ type: 'code_send_refused', phoneNumber: '+8816123456789', reason: 'phone_not_allowed' }));
    expect(inserted[0].country).toBeNull();
  });

  it('leaves out what the caller did not say, and cuts free text to its column', () => {
    run(trail('s').record({ type: 'admin_user_updated', actor: 'ops', userId: 7, detail: 'x'.repeat(900) }));
    expect(inserted[0]).toMatchObject({
      actor: 'ops',
      userId: 7,
      phoneHash: null,
      phoneMasked: null,
      country: null,
      reason: null,
      isNewUser: null,
    });
    expect(inserted[0].detail).toHaveLength(500);
  });
});
