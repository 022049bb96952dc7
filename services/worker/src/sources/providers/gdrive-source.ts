import type { Readable } from 'node:stream';
import { ErrorCode, type GdriveSource as GdriveSourceSpec } from '@ferry/shared';
import { permanentError, transientError } from '../../errors/transfer-error.ts';
import { limitKey, tokenAccount } from '../../limits/limit-key.ts';
import type { BufferLease } from '../../transfer/memory-budget.ts';
import type { PartStream } from '../../transfer/part-stream.ts';
import type { Source, SourceMetadata } from '../source.ts';
import { toSourceError } from '../source-error.ts';
import { checkExactRange } from './exact-range.ts';
import { gdriveFailure } from './gdrive-answers.ts';
import { exportMimeType, isWorkspaceDocument } from './gdrive-export.ts';
import { OAuthSession } from './oauth-session.ts';
import { answerJson, callProvider } from './provider-call.ts';
import type { ProviderDeps } from './provider-deps.ts';
import { openProviderStream } from './provider-stream.ts';
import { readErrorBody } from './read-error-body.ts';
import { refreshAccessToken } from './refresh-token.ts';
import { releasedPartStream } from './released-part-stream.ts';

interface DriveFile {
  id?: string;
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
  readonly #deps: ProviderDeps;
  readonly #session: OAuthSession;
  readonly #key: string;
  #documentType: string | null = null;

  constructor(spec: GdriveSourceSpec, deps: ProviderDeps) {
    this.#spec = spec;
    this.#deps = deps;
    const { accessToken, refreshToken, clientId, clientSecret } = spec.credentials;
    this.#key = limitKey(
      'gdrive',
      clientId ? `client:${clientId}` : `token:${tokenAccount(refreshToken ?? accessToken ?? '')}`,
    );
    this.#session = new OAuthSession({
      accessToken,
      refresh:
        refreshToken && clientId && clientSecret
          ? (signal) =>
              deps.limiter.request(
                this.#key,
                () =>
                  refreshAccessToken(
                    deps.dispatcher,
                    { tokenUrl: deps.urls.gdriveToken, refreshToken, clientId, clientSecret },
                    signal,
                    {
                      now: deps.now,
                      throttled: (answer) =>
                        answer.status === 429
                          ? gdriveFailure(
                              answer.status,
                              answer.headers,
                              answer.body,
                              'token refresh',
                              deps.now(),
                            )
                          : null,
                    },
                  ),
                signal,
              )
          : null,
      now: deps.now,
    });
  }

  async metadata(signal: AbortSignal): Promise<SourceMetadata> {
    const query = new URLSearchParams({ fields: METADATA_FIELDS, supportsAllDrives: 'true' });
    const file = await this.#session.authorized(
      (token) =>
        this.#deps.limiter.request(
          this.#key,
          async () => {
            const answer = await callProvider(
              this.#deps.dispatcher,
              `${this.#fileUrl()}?${query}`,
              { method: 'GET', headers: { authorization: `Bearer ${token}` } },
              signal,
            );
            if (answer.status !== 200) {
              throw gdriveFailure(answer.status, answer.headers, answer.body, 'files.get', this.#deps.now());
            }
            return answerJson(answer) as DriveFile | null;
          },
          signal,
        ),
      signal,
    );
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
    if (!file || file.size === undefined || !Number.isSafeInteger(size)) {
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

  async readRange(
    start: number,
    end: number,
    expected: SourceMetadata,
    signal: AbortSignal,
    buffers: BufferLease,
  ): Promise<PartStream> {
    const size = expected.size ?? 0;
    const { value, release } = await this.#session.authorized(
      (token) =>
        this.#deps.limiter.download(
          this.#key,
          async () => {
            const response = await this.#deps.downloads
              .request('GET', this.#mediaUrl(), {
                headers: {
                  authorization: `Bearer ${token}`,
                  range: `bytes=${start}-${end}`,
                  'accept-encoding': 'identity',
                },
                signal,
                lease: buffers,
              })
              .catch((error: unknown) => {
                if (signal.aborted) throw error;
                throw toSourceError(error);
              });
            if (response.statusCode !== 206) {
              const body = await readErrorBody(response.body);
              if (response.statusCode === 200) {
                throw permanentError(
                  ErrorCode.SOURCE_CHANGED,
                  'Google Drive ignored the range of a file it said it had',
                );
              }
              throw gdriveFailure(
                response.statusCode,
                response.headers,
                body,
                `bytes ${start}-${end}`,
                this.#deps.now(),
              );
            }
            try {
              checkExactRange(response.headers, start, end, size);
            } catch (error) {
              response.body.destroy();
              throw error;
            }
            return response.body;
          },
          signal,
        ),
      signal,
    );
    return releasedPartStream(value, release);
  }

  /** A Workspace document's export, or a binary file without ranges, as one stream. */
  async readAll(signal: AbortSignal): Promise<{ body: Readable; size: number | null }> {
    const documentType = this.#documentType;
    const exportType = documentType ? exportMimeType(documentType, this.#spec.exportMimeType) : null;
    const url = exportType
      ? `${this.#fileUrl()}/export?${new URLSearchParams({ mimeType: exportType })}`
      : this.#mediaUrl();
    const { value, release } = await this.#session.authorized(
      (token) =>
        this.#deps.limiter.download(
          this.#key,
          () =>
            openProviderStream(
              this.#deps.dispatcher,
              url,
              { authorization: `Bearer ${token}` },
              signal,
              (status, headers, body) =>
                gdriveFailure(
                  status,
                  headers,
                  body,
                  exportType ? 'files.export' : 'alt=media',
                  this.#deps.now(),
                ),
            ),
          signal,
        ),
      signal,
    );
    value.body.once('close', release);
    return value;
  }

  #fileUrl(): string {
    return `${this.#deps.urls.gdriveApi}/drive/v3/files/${encodeURIComponent(this.#spec.fileId)}`;
  }

  #mediaUrl(): string {
    const query = new URLSearchParams({ alt: 'media', supportsAllDrives: 'true' });
    if (this.#spec.acknowledgeAbuse) query.set('acknowledgeAbuse', 'true');
    return `${this.#fileUrl()}?${query}`;
  }
}
