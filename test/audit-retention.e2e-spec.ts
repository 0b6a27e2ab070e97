import { AuditEventsPurgeJob } from '../src/audit/audit-events-purge.job';
import { AuditTrail } from '../src/audit/audit-trail.service';
import { Sql } from '../src/database/sql';
import { dialects } from './helpers/databases';
import { useTestApp } from './helpers/test-app';

const NOW = new Date('2026-12-01T12:00:00.000Z');
const DAY_MS = 86_400_000;

describe.each(dialects())('audit retention on %s', (dialect) => {
  const app = useTestApp(dialect, { env: { AUDIT_RETENTION: '30d', PURGE_INTERVAL: '0s' } });

  it('deletes the events older than AUDIT_RETENTION and keeps the rest', async () => {
    const trail = app().app.get(AuditTrail);
    const sql = app().app.get(Sql);
    await sql.transaction(function* () {
      for (const ageDays of [45, 31, 29, 1]) {
        yield* trail.record(
          { type: 'code_sent', phoneNumber: '+12015550123', reason: `${ageDays}d` },
          new Date(NOW.getTime() - ageDays * DAY_MS),
        );
      }
    });

    await app().app.get(AuditEventsPurgeJob).run(NOW);

    const rows = await app().db.query<{ reason: string }[]>('SELECT reason FROM audit_events ORDER BY id');
    expect(rows.map((row) => row.reason)).toEqual(['29d', '1d']);
  });
});
