import { ErrorCode, FerryError, IMPORT_ID_PATTERN, type ImportRecord } from '@ferry/shared';
import type { ImportsContext } from './context.ts';

export function importNotFound(): FerryError {
  return new FerryError(ErrorCode.NOT_FOUND, 'no such import', { status: 404 });
}

/**
 * The tenant's own import, or NOT_FOUND. Unknown, malformed and other tenants' ids answer alike, so
 * a client cannot learn that an id exists.
 */
export async function findOwnImport(ctx: ImportsContext, tenant: string, id: string): Promise<ImportRecord> {
  const record = IMPORT_ID_PATTERN.test(id)
    ? await ctx.call('the import store', () => ctx.store.get(id))
    : null;
  if (!record || record.tenant !== tenant) throw importNotFound();
  return record;
}
