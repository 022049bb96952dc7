import type { Readable } from 'node:stream';
import { ErrorCode, type GdriveSource as GdriveSourceSpec } from '@ferry/shared';
import type { BufferLease } from '../../bytes/memory-budget.ts';
import type { PartStream } from '../../bytes/part-stream.ts';
import { permanentError, transientError } from '../../errors/transfer-error.ts';
import type { Source, SourceMetadata } from '../source.ts';
import { gdriveFailure } from './gdrive-answers.ts';
import { exportMimeType, isWorkspaceDocument } from './gdrive-export.ts';
import { ProviderAccount } from './provider-account.ts';
import type { ProviderDeps } from './provider-deps.ts';

interface DriveFile {
  mimeType?: string;
  size?: string;
  md5Checksum?: string;
  headRevisionId?: string;
}

const METADATA_FIELDS = 'id,mimeType,size,md5Checksum,headRevisionId';

/**
 * A Google Drive file by id. Binary files: `files.get` for size, md5Checksum and headRevisionId,
 * parts by `alt=media` with a Range, the revision checked again before completing (Drive has no
 * conditional media requests) and the bytes checked against md5Checksum. Google Workspace documents
 * are exported (`files.export`) and streamed: an export has no ranges, size or checksum.
 */
export class GdriveSource implements Source {
  readonly #spec: GdriveSourceSpec;
  readonly #urls: ProviderDeps['urls'];
  readonly #account: ProviderAccount;
  /** Set by metadata() when the file is a Workspace document, which readAll() then exports. */
  #documentType: string | null = null;

  constructor(spec: GdriveSourceSpec, deps: ProviderDeps) {
    this.#spec = spec;
    this.#urls = deps.urls;
    this.#account = new ProviderAccount(deps, {
      name: 'Google Drive',
      provider: 'gdrive',
      credentials: spec.credentials,
      tokenUrl: deps.urls.gdriveToken,
      ownerLookup: {
        url: `${deps.urls.gdriveApi}/drive/v3/about?fields=user(permissionId)`,
        init: { method: 'GET' },
        owner: (answer) => {
          const user = answer?.user as { permissionId?: unknown } | undefined;
          return typeof user?.permissionId === 'string' ? user.permissionId : null;
        },
      },
      failure: gdriveFailure,
    });
  }

  async metadata(signal: AbortSignal): Promise<SourceMetadata> {
    const query = new URLSearchParams({ fields: METADATA_FIELDS, supportsAllDrives: 'true' });
    const file = (await this.#account.call(
      'files.get',
      `${this.#fileUrl()}?${query}`,
      { method: 'GET' },
      signal,
    )) as DriveFile | null;
    const mimeType = file?.mimeType ?? '';
    if (isWorkspaceDocument(mimeType)) {
      if (exportMimeType(mimeType, this.#spec.exportMimeType) === null) {
        throw permanentError(
          ErrorCode.SOURCE_CLIENT_ERROR,
          `Google Drive item is a ${mimeType}, which has no file to import`,
        );
      }
      this.#documentType = mimeType;
      return { size: null, version: null, ranges: false, location: `gdrive:${this.#spec.fileId}` };
    }
    const size = Number(file?.size);
    if (file?.size === undefined || !Number.isSafeInteger(size)) {
      throw transientError(ErrorCode.SOURCE_SERVER_ERROR, 'Google Drive metadata lacks the file size');
    }
    const md5 = file.md5Checksum?.toLowerCase();
    return {
      size,
      // The revision pins the version; files without one (rare) are pinned by their MD5.
      version: file.headRevisionId ?? md5 ?? null,
      ranges: true,
      ...(md5 && /^[0-9a-f]{32}$/.test(md5) ? { digest: { algorithm: 'md5' as const, value: md5 } } : {}),
      location: `gdrive:${this.#spec.fileId}`,
    };
  }

  readRange(
    start: number,
    end: number,
    expected: SourceMetadata,
    signal: AbortSignal,
    buffers: BufferLease,
  ): Promise<PartStream> {
    return this.#account.downloadRange(
      this.#mediaUrl(),
      {},
      { start, end, size: expected.size ?? 0 },
      signal,
      buffers,
    );
  }

  /** A Workspace document's export, or a binary file without ranges, as one stream. */
  readAll(signal: AbortSignal): Promise<{ body: Readable; size: number | null }> {
    const documentType = this.#documentType;
    const exportType = documentType ? exportMimeType(documentType, this.#spec.exportMimeType) : null;
    return exportType
      ? this.#account.downloadAll(
          'files.export',
          `${this.#fileUrl()}/export?${new URLSearchParams({ mimeType: exportType })}`,
          {},
          signal,
        )
      : this.#account.downloadAll('alt=media', this.#mediaUrl(), {}, signal);
  }

  #fileUrl(): string {
    return `${this.#urls.gdriveApi}/drive/v3/files/${encodeURIComponent(this.#spec.fileId)}`;
  }

  #mediaUrl(): string {
    const query = new URLSearchParams({ alt: 'media', supportsAllDrives: 'true' });
    if (this.#spec.acknowledgeAbuse) query.set('acknowledgeAbuse', 'true');
    return `${this.#fileUrl()}?${query}`;
  }
}
