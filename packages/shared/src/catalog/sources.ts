import { z } from 'zod';
import { BucketName, ObjectKey } from './destination.ts';
import { ExpectedChecksums } from './expected-checksums.ts';

/** Header names a client may not set on a source request: the transfer engine owns them. */
const ENGINE_OWNED_HEADERS = new Set([
  'host',
  'range',
  'if-range',
  'if-match',
  'connection',
  'content-length',
  'transfer-encoding',
]);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const SourceHeaders = z
  .record(
    z.string().regex(HEADER_NAME, 'header name is not a valid HTTP token'),
    z
      .string()
      .max(8192)
      .regex(/^[^\r\n]*$/, 'header value must not contain line breaks'),
  )
  .superRefine((headers, ctx) => {
    for (const name of Object.keys(headers)) {
      if (ENGINE_OWNED_HEADERS.has(name.toLowerCase())) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `header "${name}" is set by Ferry and may not be given`,
        });
      }
    }
    if (Object.keys(headers).length > 32) ctx.addIssue({ code: 'custom', message: 'at most 32 headers' });
  });

export const HttpSource = z.strictObject({
  type: z.literal('http'),
  url: z
    .string()
    .max(8192)
    .refine((value) => URL.canParse(value), 'url must be an absolute URL')
    .refine(
      (value) => !URL.canParse(value) || ['http:', 'https:'].includes(new URL(value).protocol),
      'url must use http or https',
    ),
  /** Sent with every request to the source, e.g. Authorization for a private URL. Secret: never echoed. */
  headers: SourceHeaders.optional(),
  /** The file's size and digests as the client knows them (a GCS STS URL list states MD5s). */
  expected: ExpectedChecksums.optional(),
});
export type HttpSource = z.infer<typeof HttpSource>;

const ROLE_ARN = /^arn:aws(-[a-z]+)?:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

/**
 * An object in another S3 bucket. Read with the worker's own AWS credentials, parts are copied
 * server-side (UploadPartCopy) and no bytes pass through the worker. With `roleArn` the worker reads
 * it as that role (STS AssumeRole) instead; one UploadPartCopy cannot be signed by two principals,
 * so such a source's parts stream through the worker into ordinary UploadPart.
 */
export const S3Source = z
  .strictObject({
    type: z.literal('s3'),
    bucket: BucketName,
    key: ObjectKey,
    /** The source bucket's region when it differs from the worker's S3_REGION. */
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'region must look like us-east-1')
      .optional(),
    /** Copy this version of a versioned object rather than the latest. */
    versionId: z.string().min(1).max(1024).optional(),
    /** An IAM role in the source's account the worker assumes to read the object. */
    roleArn: z
      .string()
      .max(2048)
      .regex(ROLE_ARN, 'roleArn must be an IAM role ARN like arn:aws:iam::123456789012:role/name')
      .optional(),
    /**
     * The role's trust policy condition (sts:ExternalId), as STS takes it. Secret: sealed at rest,
     * never echoed, never logged.
     */
    externalId: z
      .string()
      .regex(
        /^[\w+=,.@:/-]{2,1224}$/,
        'externalId must be 2 to 1224 characters of letters, digits and _+=,.@:/-',
      )
      .optional(),
    /** Checked on the bytes read, which then stream through the worker rather than being copied by S3. */
    expected: ExpectedChecksums.optional(),
  })
  .superRefine((source, ctx) => {
    if (source.externalId !== undefined && source.roleArn === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['externalId'],
        message: 'externalId is given only with roleArn',
      });
    }
  });
export type S3Source = z.infer<typeof S3Source>;

const Token = z
  .string()
  .min(1)
  .max(4096)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');
const AppId = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

/**
 * OAuth credentials of a provider account. Either a current access token, or a refresh token with
 * the app's id and secret (an access token may come too: it is used until it expires, then
 * refreshed). Secret: sealed at rest, never echoed, never logged.
 */
function oauthCredentials<Id extends string, Secret extends string>(idField: Id, secretField: Secret) {
  return z
    .strictObject({
      accessToken: Token.optional(),
      refreshToken: Token.optional(),
      [idField]: AppId.optional(),
      [secretField]: AppId.optional(),
    } as {
      accessToken: z.ZodOptional<typeof Token>;
      refreshToken: z.ZodOptional<typeof Token>;
    } & Record<Id | Secret, z.ZodOptional<typeof AppId>>)
    .superRefine((credentials, ctx) => {
      const values = credentials as Record<string, string | undefined>;
      if (values.refreshToken) {
        for (const field of [idField, secretField]) {
          if (!values[field]) {
            ctx.addIssue({ code: 'custom', path: [field], message: `required with refreshToken` });
          }
        }
      } else if (!values.accessToken) {
        ctx.addIssue({
          code: 'custom',
          path: ['accessToken'],
          message: `give accessToken, or refreshToken with ${idField} and ${secretField}`,
        });
      }
    });
}

export const DropboxCredentials = oauthCredentials('appKey', 'appSecret');
export type DropboxCredentials = z.infer<typeof DropboxCredentials>;

/**
 * A file in a Dropbox account: `path` as Dropbox takes it (`/folder/file`, `id:...`, `rev:...`,
 * `ns:<id>/path`). Read with ranged downloads pinned to the revision seen at the start, verified
 * with Dropbox's content_hash.
 */
export const DropboxSource = z.strictObject({
  type: z.literal('dropbox'),
  path: z
    .string()
    .max(4096)
    .regex(/^(\/.+|id:.+|rev:.+|ns:.+)$/, 'path must start with /, id:, rev: or ns:'),
  credentials: DropboxCredentials,
  expected: ExpectedChecksums.optional(),
});
export type DropboxSource = z.infer<typeof DropboxSource>;

export const GdriveCredentials = oauthCredentials('clientId', 'clientSecret');
export type GdriveCredentials = z.infer<typeof GdriveCredentials>;

/**
 * A Google Drive file by id. Binary files are read with ranged `alt=media` downloads and checked
 * against Drive's md5Checksum; Google Workspace documents (Docs, Sheets, ...) have no bytes of their
 * own and are exported as `exportMimeType` (a default per kind when not given), streamed.
 */
export const GdriveSource = z.strictObject({
  type: z.literal('gdrive'),
  fileId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,256}$/, 'fileId must be a Drive file id (letters, digits, _ and -)'),
  credentials: GdriveCredentials,
  /** Download files Drive flagged as malware or spam anyway (Drive's own parameter). */
  acknowledgeAbuse: z.boolean().optional(),
  /** For Google Workspace documents: the format to export to, e.g. application/pdf. */
  exportMimeType: z
    .string()
    .regex(/^[\w.+-]+\/[\w.+-]+$/, 'exportMimeType must be a MIME type like application/pdf')
    .optional(),
  expected: ExpectedChecksums.optional(),
});
export type GdriveSource = z.infer<typeof GdriveSource>;

/** Tagged union on `type`. */
export const Source = z.discriminatedUnion('type', [HttpSource, S3Source, DropboxSource, GdriveSource]);
export type Source = z.infer<typeof Source>;
export const SOURCE_TYPES = ['http', 's3', 'dropbox', 'gdrive'] as const;
