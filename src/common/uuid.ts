/** A UUID as `randomUUID()` writes it: ids in URLs and tokens are checked against it before any lookup. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
