import { Injectable } from '@nestjs/common';
import { Sql, query, type EntityRows, type SqlParams, type SqlValue, type Statement, type Step } from '../database/sql';
import { AuditEvent } from './audit-event.entity';

/** An event as written: everything but its id. */
export type NewAuditEvent = Omit<AuditEvent, 'id'>;

/** The columns an insert writes, in its order: every column but the id. */
const INSERTED = [
  'createdAt',
  'type',
  'actor',
  'userId',
  'phoneHash',
  'phoneMasked',
  'country',
  'purpose',
  'channel',
  'reason',
  'sessionId',
  'ip',
  'isNewUser',
  'elapsedMs',
  'detail',
] as const satisfies readonly (keyof NewAuditEvent)[];

/**
 * An insert of `count` events in one statement: a sign-in's events cost one statement, not one
 * each (on PostgreSQL each is a round trip and a parse). Parameters are `<column><row>`.
 */
function insertStatement(sql: Sql, rows: EntityRows<AuditEvent>, count: number): Statement<SqlParams> {
  const columns = rows.columnNames(INSERTED);
  return sql.statement<SqlParams>(
    (p) => `
      INSERT INTO audit_events (${columns.join(', ')})
      VALUES ${Array.from({ length: count }, (_, i) => `(${INSERTED.map((name) => p(`${name}${i}`)).join(', ')})`).join(', ')}`,
  );
}

const auditEventsStatements = (sql: Sql) => ({
  purge: sql.statement<{ before: number }>((p) => `DELETE FROM audit_events WHERE created_at < ${p('before')}`),
});

/** Which events the analytics read: created in [from, to), of one country or (null) of all. */
export type AnalyticsFilter = {
  from: number;
  to: number;
  country: string | null;
};

/** The analytics' additive counts of a bucket, a country or the whole range. */
export interface AnalyticsCounts {
  sent: number;
  verified: number;
  failed: number;
  refused: number;
  newUsers: number;
  returningUsers: number;
}

/**
 * Codes issued (test numbers' included, fallback messages not: same code), redeemed, failed or
 * burned, refused, and sign-ins that created a user or found one.
 */
const ANALYTICS_COUNTS = `
  COUNT(CASE WHEN type = 'code_sent' AND (reason IS NULL OR reason = 'test_number') THEN 1 END) AS sent,
  COUNT(CASE WHEN type = 'code_verified' THEN 1 END) AS verified,
  COUNT(CASE WHEN type IN ('code_failed', 'code_burned') THEN 1 END) AS failed,
  COUNT(CASE WHEN type = 'code_send_refused' THEN 1 END) AS refused,
  COUNT(CASE WHEN type = 'sign_in' AND is_new_user = TRUE THEN 1 END) AS new_users,
  COUNT(CASE WHEN type = 'sign_in' AND is_new_user = FALSE THEN 1 END) AS returning_users`;

/**
 * The filter as SQL. better-sqlite3 binds every JS number as a REAL and PostgreSQL cannot type a
 * parameter that is only tested for NULL, hence the casts.
 */
const analyticsWhere = (p: (name: keyof AnalyticsFilter) => string, types: string) => `
  type IN (${types}) AND created_at >= ${p('from')} AND created_at < ${p('to')}
  AND (CAST(${p('country')} AS VARCHAR(2)) IS NULL OR country = ${p('country')})`;
const COUNTED_TYPES = `'code_sent', 'code_send_refused', 'code_verified', 'code_failed', 'code_burned', 'sign_in'`;

/** Analytics (admin): aggregates over a time range, every statement portable (integer division on both). */
const analyticsStatements = (sql: Sql) => ({
  /** Counts per bucket: whole `bucketMs` since `origin`, as an integer on both databases. */
  buckets: sql.statement<AnalyticsFilter & { origin: number; bucketMs: number }>(
    (p) => `
      SELECT (created_at - CAST(${p('origin')} AS BIGINT)) / CAST(${p('bucketMs')} AS BIGINT) AS bucket, ${ANALYTICS_COUNTS}
      FROM audit_events WHERE ${analyticsWhere(p, COUNTED_TYPES)}
      GROUP BY bucket ORDER BY bucket`,
  ),
  /** Counts per country, with the SMS messages sent (fallbacks included, test numbers not) for the spend. */
  countries: sql.statement<AnalyticsFilter>(
    (p) => `
      SELECT country, ${ANALYTICS_COUNTS},
        COUNT(CASE WHEN type = 'code_sent' AND (reason IS NULL OR reason = 'fallback') THEN 1 END) AS messages
      FROM audit_events WHERE ${analyticsWhere(p, COUNTED_TYPES)}
      GROUP BY country`,
  ),
  refusals: sql.statement<AnalyticsFilter>(
    (p) => `
      SELECT reason, COUNT(*) AS events FROM audit_events WHERE ${analyticsWhere(p, `'code_send_refused'`)}
      GROUP BY reason`,
  ),
  /**
   * The middle one or two verify times of each country and of all: the rows ranked (n + 1) / 2 and
   * (n + 2) / 2 by elapsed_ms, so only a handful of rows leave the database, on both dialects.
   */
  verifyMiddles: sql.statement<AnalyticsFilter>(
    (p) => `
      WITH ranked AS (
        SELECT country, elapsed_ms,
          ROW_NUMBER() OVER (PARTITION BY country ORDER BY elapsed_ms) AS country_rank,
          COUNT(*) OVER (PARTITION BY country) AS country_count,
          ROW_NUMBER() OVER (ORDER BY elapsed_ms) AS overall_rank,
          COUNT(*) OVER () AS overall_count
        FROM audit_events WHERE ${analyticsWhere(p, `'code_verified'`)} AND elapsed_ms IS NOT NULL
      ), middles AS (
        SELECT country, elapsed_ms,
          CASE WHEN country_rank IN ((country_count + 1) / 2, (country_count + 2) / 2) THEN 1 ELSE 0 END AS country_middle,
          CASE WHEN overall_rank IN ((overall_count + 1) / 2, (overall_count + 2) / 2) THEN 1 ELSE 0 END AS overall_middle
        FROM ranked
      )
      SELECT country, elapsed_ms, country_middle, overall_middle FROM middles
      WHERE country_middle = 1 OR overall_middle = 1`,
  ),
});

/**
 * A value as both drivers bind it: better-sqlite3 takes no booleans, so they go as '1' and '0',
 * which PostgreSQL reads as a boolean for a boolean column and SQLite stores as 1 and 0.
 */
function sqlValue(value: NewAuditEvent[keyof NewAuditEvent]): SqlValue {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'boolean') return value ? '1' : '0';
  return value;
}

/** Counts as numbers: PostgreSQL answers COUNT(*) as a bigint, which pg gives as a string. */
function countsOf(row: Record<string, unknown>): AnalyticsCounts {
  return {
    sent: Number(row.sent),
    verified: Number(row.verified),
    failed: Number(row.failed),
    refused: Number(row.refused),
    newUsers: Number(row.new_users),
    returningUsers: Number(row.returning_users),
  };
}

/** Which events an admin lists or exports (every filter optional): created in [after, before). */
export interface AuditEventSearch {
  types?: readonly string[];
  userId?: number;
  phoneHash?: string;
  after?: Date;
  before?: Date;
}

/** A keyset page: newest first below `beforeId`, or oldest first after `afterId` up to `throughId`. */
export type AuditEventPage =
  | { order: 'newest'; beforeId?: number; limit: number }
  | { order: 'oldest'; afterId: number; throughId: number; limit: number };

/** Admin reads (cold): a user's events, and where an export stops. */
const adminStatements = (sql: Sql, rows: EntityRows<AuditEvent>) => ({
  ofUser: sql.statement<{ userId: number; phoneHash: string; limit: number }>(
    (p) => `
      SELECT ${rows.selectList()} FROM audit_events WHERE user_id = ${p('userId')} OR phone_hash = ${p('phoneHash')}
      ORDER BY id DESC LIMIT ${p('limit')}`,
  ),
  lastId: sql.statement<Record<string, never>>(() => `SELECT MAX(id) AS last_id FROM audit_events`),
});

/** The `audit_events` table. */
@Injectable()
export class AuditEventsRepository {
  readonly rows: EntityRows<AuditEvent>;
  private readonly statements: ReturnType<typeof auditEventsStatements>;
  private readonly analytics: ReturnType<typeof analyticsStatements>;
  private readonly admin: ReturnType<typeof adminStatements>;
  /** Inserts by their number of rows. */
  private readonly inserts = new Map<number, Statement<SqlParams>>();
  /** The admin list's statements, one per shape of filter (values are always placeholders). */
  private readonly searches = new Map<string, Statement<SqlParams>>();

  constructor(private readonly sql: Sql) {
    this.rows = sql.rowsOf(AuditEvent);
    this.statements = auditEventsStatements(sql);
    this.analytics = analyticsStatements(sql);
    this.admin = adminStatements(sql, this.rows);
  }

  *insert(events: readonly NewAuditEvent[]): Step<void> {
    let statement = this.inserts.get(events.length);
    if (!statement) this.inserts.set(events.length, (statement = insertStatement(this.sql, this.rows, events.length)));
    const params: SqlParams = {};
    events.forEach((event, i) => {
      for (const name of INSERTED) params[`${name}${i}`] = sqlValue(event[name]);
    });
    yield* query(statement, params);
  }

  /** Events older than `before`; how many. */
  async purge(before: Date): Promise<number> {
    return (await this.sql.run(this.statements.purge, { before: before.getTime() })).affected;
  }

  /** Analytics: counts per bucket (buckets without events are absent), in bucket order. */
  async analyticsBuckets(
    filter: AnalyticsFilter & { origin: number; bucketMs: number },
  ): Promise<(AnalyticsCounts & { bucket: number })[]> {
    const { rows } = await this.sql.run(this.analytics.buckets, filter);
    return rows.map((row) => ({ bucket: Number(row.bucket), ...countsOf(row) }));
  }

  /** Analytics: counts per country (null: numbers of no country), and SMS messages sent. */
  async analyticsCountries(
    filter: AnalyticsFilter,
  ): Promise<(AnalyticsCounts & { country: string | null; messages: number })[]> {
    const { rows } = await this.sql.run(this.analytics.countries, filter);
    return rows.map((row) => ({
      country: row.country as string | null,
      ...countsOf(row),
      messages: Number(row.messages),
    }));
  }

  /** Analytics: refused sends per reason. */
  async analyticsRefusals(filter: AnalyticsFilter): Promise<{ reason: string | null; events: number }[]> {
    const { rows } = await this.sql.run(this.analytics.refusals, filter);
    return rows.map((row) => ({ reason: row.reason as string | null, events: Number(row.events) }));
  }

  /** Analytics: the one or two middle verify times of each country (`ofCountry`) and of the range (`ofAll`). */
  async analyticsVerifyMiddles(
    filter: AnalyticsFilter,
  ): Promise<{ country: string | null; elapsedMs: number; ofCountry: boolean; ofAll: boolean }[]> {
    const { rows } = await this.sql.run(this.analytics.verifyMiddles, filter);
    return rows.map((row) => ({
      country: row.country as string | null,
      elapsedMs: Number(row.elapsed_ms),
      ofCountry: Number(row.country_middle) === 1,
      ofAll: Number(row.overall_middle) === 1,
    }));
  }

  /** Admin: the newest events naming the user or their number. */
  async ofUser(userId: number, phoneHash: string, limit: number): Promise<AuditEvent[]> {
    const { rows } = await this.sql.run(this.admin.ofUser, { userId, phoneHash, limit });
    return rows.map((row) => this.rows.hydrate(row));
  }

  /** Admin: the id of the newest event, where an export that starts now ends; 0 when there is none. */
  async lastId(): Promise<number> {
    const row = await this.sql.first(this.admin.lastId, {});
    return Number(row?.last_id ?? 0);
  }

  /** Admin: one page of the events `search` selects. */
  async search(search: AuditEventSearch, page: AuditEventPage): Promise<AuditEvent[]> {
    const { rows } = await this.sql.run(this.searchStatement(search, page), {
      ...Object.fromEntries((search.types ?? []).map((type, i) => [`type${i}`, type])),
      userId: search.userId ?? null,
      phoneHash: search.phoneHash ?? null,
      after: search.after?.getTime() ?? null,
      before: search.before?.getTime() ?? null,
      beforeId: page.order === 'newest' ? (page.beforeId ?? null) : null,
      afterId: page.order === 'oldest' ? page.afterId : null,
      throughId: page.order === 'oldest' ? page.throughId : null,
      limit: page.limit,
    });
    return rows.map((row) => this.rows.hydrate(row));
  }

  private searchStatement(search: AuditEventSearch, page: AuditEventPage): Statement<SqlParams> {
    const types = search.types ?? [];
    const key = JSON.stringify([
      types.length,
      search.userId !== undefined,
      search.phoneHash !== undefined,
      search.after !== undefined,
      search.before !== undefined,
      page.order,
      page.order === 'newest' && page.beforeId !== undefined,
    ]);
    let statement = this.searches.get(key);
    if (!statement) {
      statement = this.sql.statement<SqlParams>((p) => {
        const where = [
          types.length > 0 && `type IN (${types.map((_, i) => p(`type${i}`)).join(', ')})`,
          search.userId !== undefined && `user_id = ${p('userId')}`,
          search.phoneHash !== undefined && `phone_hash = ${p('phoneHash')}`,
          search.after !== undefined && `created_at >= ${p('after')}`,
          search.before !== undefined && `created_at < ${p('before')}`,
          page.order === 'newest' && page.beforeId !== undefined && `id < ${p('beforeId')}`,
          page.order === 'oldest' && `id > ${p('afterId')} AND id <= ${p('throughId')}`,
        ].filter(Boolean);
        return `
          SELECT ${this.rows.selectList()} FROM audit_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
          ORDER BY id ${page.order === 'newest' ? 'DESC' : 'ASC'} LIMIT ${p('limit')}`;
      });
      this.searches.set(key, statement);
    }
    return statement;
  }
}
