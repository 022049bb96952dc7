import { z } from 'zod';
import type { ImportRequest } from '../catalog/import-request.ts';
import type { NotifyTarget } from '../catalog/notify-target.ts';
import {
  DropboxCredentials,
  GdriveCredentials,
  HttpSource,
  S3Source,
  type Source,
} from '../catalog/sources.ts';
import type {
  SealedSecret,
  StoredImportRequest,
  StoredNotifyTarget,
  StoredSource,
} from '../catalog/stored-import-request.ts';
import { ErrorCode, FerryError } from '../errors.ts';
import type { SecretBox } from './secret-box.ts';

/** The request as records store it: every secret-bearing field sealed. */
export function sealRequest(request: ImportRequest, box: SecretBox): StoredImportRequest {
  return {
    source: sealSource(request.source, box),
    destination: request.destination,
    ...(request.notify ? { notify: sealNotifyTarget(request.notify, box) } : {}),
    ...(request.overwrite ? { overwrite: request.overwrite } : {}),
  };
}

/** The request as the client gave it, for the worker about to read the source. */
export function openRequest(stored: StoredImportRequest, box: SecretBox): ImportRequest {
  return {
    source: unsealSource(stored.source, box),
    destination: stored.destination,
    ...(stored.notify ? { notify: { url: openNotifyUrl(stored.notify, box) } } : {}),
    ...(stored.overwrite ? { overwrite: stored.overwrite } : {}),
  };
}

/** A callback URL may carry a token in its query (receivers that cannot check signatures): sealed. */
export function sealNotifyTarget(target: NotifyTarget, box: SecretBox): StoredNotifyTarget {
  const shown = redactUrl(target.url);
  return shown === target.url
    ? { url: shown }
    : { url: shown, sealedUrl: seal(box, 'notify.url', { url: target.url }) };
}

/** The URL to POST the event to, opened right before delivery. */
export function openNotifyUrl(stored: StoredNotifyTarget, box: SecretBox): string {
  return stored.sealedUrl ? open(box, 'notify.url', stored.sealedUrl, SealedUrl).url : stored.url;
}

function sealSource(source: Source, box: SecretBox): StoredSource {
  switch (source.type) {
    case 'http': {
      const { headers, url, ...rest } = source;
      const shown = redactUrl(url);
      return {
        ...rest,
        url: shown,
        ...(shown === url ? {} : { sealedUrl: seal(box, 'http.url', { url }) }),
        ...(headers === undefined ? {} : { headers: seal(box, 'http.headers', headers) }),
      };
    }
    case 's3': {
      const { externalId, ...rest } = source;
      return externalId === undefined
        ? rest
        : { ...rest, externalId: seal(box, 's3.externalId', { externalId }) };
    }
    case 'dropbox':
      return { ...source, credentials: seal(box, 'dropbox.credentials', source.credentials) };
    case 'gdrive':
      return { ...source, credentials: seal(box, 'gdrive.credentials', source.credentials) };
  }
}

function unsealSource(source: StoredSource, box: SecretBox): Source {
  switch (source.type) {
    case 'http': {
      const { headers, sealedUrl, ...rest } = source;
      return {
        ...rest,
        ...(sealedUrl ? { url: open(box, 'http.url', sealedUrl, SealedUrl).url } : {}),
        ...(headers === undefined
          ? {}
          : { headers: open(box, 'http.headers', headers, HttpSource.shape.headers.unwrap()) }),
      };
    }
    case 's3': {
      const { externalId, ...rest } = source;
      return externalId === undefined
        ? rest
        : { ...rest, externalId: open(box, 's3.externalId', externalId, SealedExternalId).externalId };
    }
    case 'dropbox':
      return {
        ...source,
        credentials: open(box, 'dropbox.credentials', source.credentials, DropboxCredentials),
      };
    case 'gdrive':
      return {
        ...source,
        credentials: open(box, 'gdrive.credentials', source.credentials, GdriveCredentials),
      };
  }
}

const SealedUrl = z.strictObject({ url: HttpSource.shape.url });
const SealedExternalId = z.strictObject({ externalId: S3Source.shape.externalId.unwrap() });

/**
 * The URL with what may be credentials replaced: user and password, every query value (presigned
 * URLs carry signatures and tokens there) and the fragment. Names stay, so a response still shows
 * what kind of URL it was.
 */
function redactUrl(value: string): string {
  const url = new URL(value);
  if (!url.username && !url.password && !url.search && !url.hash) return value;
  if (url.username) url.username = 'redacted';
  if (url.password) url.password = 'redacted';
  const names = [...new Set(url.searchParams.keys())];
  url.search = names.map((name) => `${encodeURIComponent(name)}=redacted`).join('&');
  url.hash = '';
  return url.toString();
}

function seal(box: SecretBox, field: string, value: Record<string, string | undefined>): SealedSecret {
  const fields = Object.keys(value).filter((name) => value[name] !== undefined);
  return { sealed: box.seal(JSON.stringify(value), context(field, fields)), fields };
}

function open<T>(box: SecretBox, field: string, secret: SealedSecret, schema: z.ZodType<T>): T {
  // The field names are bound in as associated data: a record whose listed names were edited fails.
  const text = box.open(secret.sealed, context(field, secret.fields));
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    // Issue messages could quote the opened values; the field's name is enough.
    throw new FerryError(ErrorCode.SECRET_UNREADABLE, `the sealed ${field} do not hold valid values`);
  }
  return parsed.data;
}

function context(field: string, fields: readonly string[]): string {
  return JSON.stringify([field, fields]);
}
