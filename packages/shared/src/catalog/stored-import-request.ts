import { z } from 'zod';
import { Destination } from './destination.ts';
import { OverwritePolicy } from './overwrite-policy.ts';
import { DropboxSource, GdriveSource, HttpSource, S3Source } from './sources.ts';

/**
 * A secret-bearing field as stored: the value sealed (see SecretBox), beside the names it held
 * (header names, credential fields), so a response can say what was given without opening it.
 */
export const SealedSecret = z.strictObject({
  sealed: z.string().min(1),
  fields: z.array(z.string()).max(32),
});
export type SealedSecret = z.infer<typeof SealedSecret>;

/**
 * A URL with credentials in it (user info, or a query string such as a presigned URL's signature)
 * is stored with those parts redacted in `url` and whole in `sealedUrl`.
 */
export const StoredHttpSource = HttpSource.extend({
  headers: SealedSecret.optional(),
  sealedUrl: SealedSecret.optional(),
});
/** The role's externalId sealed; the refinement (externalId only with roleArn) ran on submit. */
export const StoredS3Source = z.strictObject({ ...S3Source.shape, externalId: SealedSecret.optional() });
export const StoredDropboxSource = DropboxSource.extend({ credentials: SealedSecret });
export const StoredGdriveSource = GdriveSource.extend({ credentials: SealedSecret });

/** A Source with its secrets sealed: the form records hold in Redis. */
export const StoredSource = z.discriminatedUnion('type', [
  StoredHttpSource,
  StoredS3Source,
  StoredDropboxSource,
  StoredGdriveSource,
]);
export type StoredSource = z.infer<typeof StoredSource>;

/** The notify URL like an http source's: what may be credentials redacted in `url`, whole in `sealedUrl`. */
export const StoredNotifyTarget = z.strictObject({
  url: z.string(),
  sealedUrl: SealedSecret.optional(),
});
export type StoredNotifyTarget = z.infer<typeof StoredNotifyTarget>;

/** An ImportRequest with its secrets sealed (sealRequest / openRequest convert). */
export const StoredImportRequest = z.strictObject({
  source: StoredSource,
  destination: Destination,
  /** The effective target: the request's, or the tenant's default when it gave none. */
  notify: StoredNotifyTarget.optional(),
  overwrite: OverwritePolicy.optional(),
});
export type StoredImportRequest = z.infer<typeof StoredImportRequest>;
