/**
 * A page's `next_cursor`: the last id it showed, base64url-encoded so clients treat it as opaque.
 * Pages are keyed on the id, not an offset, so rows inserted meanwhile neither repeat nor skip one.
 */
export function encodeCursor(lastId: number): string {
  return Buffer.from(String(lastId)).toString('base64url');
}

/** The id a cursor stands for; undefined when it is not one {@link encodeCursor} wrote. */
export function decodeCursor(cursor: string): number | undefined {
  if (!/^[A-Za-z0-9_-]{1,24}$/.test(cursor)) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('latin1');
  return /^[1-9][0-9]{0,14}$/.test(text) && encodeCursor(Number(text)) === cursor ? Number(text) : undefined;
}

/** The cursor of the page after `rows` when the query fetched one row more than the page holds. */
export function nextCursor<T extends { id: number }>(rows: T[], limit: number): { page: T[]; next: string | null } {
  const page = rows.slice(0, limit);
  return { page, next: rows.length > limit ? encodeCursor(page[page.length - 1].id) : null };
}
