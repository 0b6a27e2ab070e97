import { decodeCursor, encodeCursor, nextCursor } from './cursor';

describe('admin list cursors', () => {
  it('round-trips an id through an opaque base64url string', () => {
    expect(encodeCursor(12)).toBe('MTI');
    expect(decodeCursor(encodeCursor(12))).toBe(12);
    expect(decodeCursor(encodeCursor(2_147_483_647))).toBe(2_147_483_647);
  });

  it.each(['', '12', 'MTI=', 'MA', 'LTE', 'YWJj', '!!!', 'MDEy', 'x'.repeat(25)])('refuses %j', (cursor) => {
    expect(decodeCursor(cursor)).toBeUndefined();
  });

  it('gives a next cursor only when the query found a row past the page', () => {
    const rows = [{ id: 9 }, { id: 7 }, { id: 4 }];
    expect(nextCursor(rows, 2)).toEqual({ page: [{ id: 9 }, { id: 7 }], next: encodeCursor(7) });
    expect(nextCursor(rows, 3)).toEqual({ page: rows, next: null });
  });
});
