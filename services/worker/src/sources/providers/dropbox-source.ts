import type { Readable } from 'node:stream';
import { type DropboxSource as DropboxSourceSpec, ErrorCode } from '@ferry/shared';
import type { BufferLease } from '../../bytes/memory-budget.ts';
import type { PartStream } from '../../bytes/part-stream.ts';
import { permanentError, transientError } from '../../errors/transfer-error.ts';
import type { Source, SourceMetadata } from '../source.ts';
import { dropboxApiArg, dropboxFailure } from './dropbox-answers.ts';
import { ProviderAccount } from './provider-account.ts';
import type { ProviderDeps } from './provider-deps.ts';

interface DropboxFileMetadata {
  '.tag'?: string;
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
 * Dropbox's content_hash. The account (for the fleet-wide limiter) is the app when its key is known,
 * else the token's owner, as /2/users/get_current_account names it.
 */
export class DropboxSource implements Source {
  readonly #spec: DropboxSourceSpec;
  readonly #urls: ProviderDeps['urls'];
  readonly #account: ProviderAccount;

  constructor(spec: DropboxSourceSpec, deps: ProviderDeps) {
    this.#spec = spec;
    this.#urls = deps.urls;
    const { appKey, appSecret, ...tokens } = spec.credentials;
    this.#account = new ProviderAccount(deps, {
      name: 'Dropbox',
      provider: 'dropbox',
      credentials: { ...tokens, clientId: appKey, clientSecret: appSecret },
      tokenUrl: `${deps.urls.dropboxApi}/oauth2/token`,
      ownerLookup: {
        url: `${deps.urls.dropboxApi}/2/users/get_current_account`,
        init: { method: 'POST' },
        owner: (answer) => (typeof answer?.account_id === 'string' ? answer.account_id : null),
      },
      failure: dropboxFailure,
    });
  }

  async metadata(signal: AbortSignal): Promise<SourceMetadata> {
    const file = (await this.#account.call(
      'get_metadata',
      `${this.#urls.dropboxApi}/2/files/get_metadata`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ path: this.#spec.path }),
      },
      signal,
    )) as DropboxFileMetadata | null;
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

  readRange(
    start: number,
    end: number,
    expected: SourceMetadata,
    signal: AbortSignal,
    buffers: BufferLease,
  ): Promise<PartStream> {
    return this.#account.downloadRange(
      `${this.#urls.dropboxContent}/2/files/download`,
      { 'dropbox-api-arg': dropboxApiArg({ path: `rev:${expected.version}` }) },
      { start, end, size: expected.size ?? 0 },
      signal,
      buffers,
    );
  }

  /** The whole file in one stream: the engine's path for a file it cannot read in parts. */
  readAll(signal: AbortSignal): Promise<{ body: Readable; size: number | null }> {
    return this.#account.downloadAll(
      'download',
      `${this.#urls.dropboxContent}/2/files/download`,
      { 'dropbox-api-arg': dropboxApiArg({ path: this.#spec.path }) },
      signal,
    );
  }
}
