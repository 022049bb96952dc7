import type { Readable } from 'node:stream';
import { type DropboxSource as DropboxSourceSpec, ErrorCode } from '@ferry/shared';
import { permanentError, transientError } from '../../errors/transfer-error.ts';
import { limitKey, tokenAccount } from '../../limits/limit-key.ts';
import type { BufferLease } from '../../transfer/memory-budget.ts';
import type { PartStream } from '../../transfer/part-stream.ts';
import type { Source, SourceMetadata } from '../source.ts';
import { toSourceError } from '../source-error.ts';
import { dropboxApiArg, dropboxFailure } from './dropbox-answers.ts';
import { checkExactRange } from './exact-range.ts';
import { OAuthSession } from './oauth-session.ts';
import { answerJson, callProvider } from './provider-call.ts';
import type { ProviderDeps } from './provider-deps.ts';
import { openProviderStream } from './provider-stream.ts';
import { readErrorBody } from './read-error-body.ts';
import { refreshAccessToken } from './refresh-token.ts';
import { releasedPartStream } from './released-part-stream.ts';

interface DropboxFileMetadata {
  '.tag': string;
  id?: string;
  rev?: string;
  size?: number;
  content_hash?: string;
  is_downloadable?: boolean;
}

/**
 * A file in a Dropbox account. Metadata from /2/files/get_metadata; parts from /2/files/download
 * with a Range, always by `rev:<rev>` of the revision seen at the start, so every part comes from
 * that one revision whatever happens to the file meanwhile; the whole file is checked against
 * Dropbox's content_hash. Every request passes the fleet-wide limiter of the account (the app when
 * its key is known, else the token's owner, identified by a hash of the token).
 */
export class DropboxSource implements Source {
  readonly #spec: DropboxSourceSpec;
  readonly #deps: ProviderDeps;
  readonly #session: OAuthSession;
  readonly #key: string;

  constructor(spec: DropboxSourceSpec, deps: ProviderDeps) {
    this.#spec = spec;
    this.#deps = deps;
    const { accessToken, refreshToken, appKey, appSecret } = spec.credentials;
    this.#key = limitKey(
      'dropbox',
      appKey ? `app:${appKey}` : `token:${tokenAccount(refreshToken ?? accessToken ?? '')}`,
    );
    this.#session = new OAuthSession({
      accessToken,
      refresh:
        refreshToken && appKey && appSecret
          ? (signal) =>
              deps.limiter.request(
                this.#key,
                () =>
                  refreshAccessToken(
                    deps.dispatcher,
                    {
                      tokenUrl: `${deps.urls.dropboxApi}/oauth2/token`,
                      refreshToken,
                      clientId: appKey,
                      clientSecret: appSecret,
                    },
                    signal,
                    {
                      now: deps.now,
                      throttled: (answer) =>
                        answer.status === 429
                          ? dropboxFailure(
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
    const file = await this.#session.authorized(
      (token) =>
        this.#deps.limiter.request(
          this.#key,
          async () => {
            const answer = await callProvider(
              this.#deps.dispatcher,
              `${this.#deps.urls.dropboxApi}/2/files/get_metadata`,
              {
                method: 'POST',
                headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
                body: JSON.stringify({ path: this.#spec.path }),
              },
              signal,
            );
            if (answer.status !== 200) {
              throw dropboxFailure(
                answer.status,
                answer.headers,
                answer.body,
                'get_metadata',
                this.#deps.now(),
              );
            }
            return answerJson(answer) as DropboxFileMetadata | null;
          },
          signal,
        ),
      signal,
    );
    if (file?.['.tag'] !== 'file') {
      throw permanentError(
        ErrorCode.SOURCE_CLIENT_ERROR,
        `Dropbox path is a ${file?.['.tag'] ?? 'non-file'}, not a file`,
      );
    }
    if (file.is_downloadable === false) {
      throw permanentError(ErrorCode.SOURCE_CLIENT_ERROR, 'Dropbox says this file cannot be downloaded');
    }
    if (
      typeof file.size !== 'number' ||
      typeof file.rev !== 'string' ||
      typeof file.content_hash !== 'string'
    ) {
      throw transientError(ErrorCode.SOURCE_SERVER_ERROR, 'Dropbox metadata lacks size, rev or content_hash');
    }
    return {
      size: file.size,
      version: file.rev,
      ranges: true,
      digest: { algorithm: 'dropbox-content-hash', value: file.content_hash.toLowerCase() },
      ...(file.id ? { location: `dropbox:${file.id}` } : {}),
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
              .request('GET', `${this.#deps.urls.dropboxContent}/2/files/download`, {
                headers: {
                  authorization: `Bearer ${token}`,
                  'dropbox-api-arg': dropboxApiArg({ path: `rev:${expected.version}` }),
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
              throw dropboxFailure(
                response.statusCode,
                response.headers,
                body,
                `download bytes ${start}-${end}`,
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

  /** The whole file in one stream: the engine's path for a file it cannot read in parts. */
  async readAll(signal: AbortSignal): Promise<{ body: Readable; size: number | null }> {
    const { value, release } = await this.#session.authorized(
      (token) =>
        this.#deps.limiter.download(
          this.#key,
          () =>
            openProviderStream(
              this.#deps.dispatcher,
              `${this.#deps.urls.dropboxContent}/2/files/download`,
              {
                authorization: `Bearer ${token}`,
                'dropbox-api-arg': dropboxApiArg({ path: this.#spec.path }),
              },
              signal,
              (status, headers, body) => dropboxFailure(status, headers, body, 'download', this.#deps.now()),
            ),
          signal,
        ),
      signal,
    );
    value.body.once('close', release);
    return value;
  }
}
