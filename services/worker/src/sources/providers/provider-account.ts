import type { Readable } from 'node:stream';
import { ErrorCode } from '@ferry/shared';
import type { BufferLease } from '../../bytes/memory-budget.ts';
import type { PartStream } from '../../bytes/part-stream.ts';
import { permanentError, toTransferError } from '../../errors/transfer-error.ts';
import { type LimitedProvider, limitKey, tokenAccount } from '../../limits/limit-key.ts';
import { RateLimitedError } from '../../limits/rate-limited-error.ts';
import { checkExactRange } from '../exact-range.ts';
import { releasedPartStream } from '../released-part-stream.ts';
import type { AnswerHeaders } from '../response-headers.ts';
import { toSourceError } from '../source-error.ts';
import { OAuthSession } from './oauth-session.ts';
import { answerJson, callProvider, type ProviderAnswer } from './provider-call.ts';
import type { ProviderDeps } from './provider-deps.ts';
import { openProviderStream } from './provider-stream.ts';
import { readErrorBody } from './read-error-body.ts';
import { type RefreshGrant, refreshAccessToken } from './refresh-token.ts';

/** What a provider's error answer means: a TransferError, a ProviderThrottled, or AccessTokenExpired. */
export type ProviderFailure = (
  status: number,
  headers: AnswerHeaders,
  body: string,
  what: string,
  now: number,
) => Error;

/** The provider's "who am I" call, and where its answer names the token's owner. */
export interface OwnerLookup {
  url: string;
  init: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string };
  owner(answer: Record<string, unknown> | null): string | null;
}

/** OAuth credentials as both providers take them (Dropbox calls the client its app key and secret). */
export interface OAuthCredentials {
  accessToken?: string | undefined;
  refreshToken?: string | undefined;
  clientId?: string | undefined;
  clientSecret?: string | undefined;
}

export interface ProviderAccountOptions {
  /** Shown in messages: "Dropbox", "Google Drive". */
  name: string;
  provider: LimitedProvider;
  credentials: OAuthCredentials;
  /** Where a refresh token is exchanged for an access token. */
  tokenUrl: string;
  /** Without a client id, the limits are those of the token's owner, whom this call names. */
  ownerLookup: OwnerLookup;
  failure: ProviderFailure;
}

/**
 * One import's provider account: the three kinds of request a provider adapter makes (a JSON API
 * call, a ranged download into budget buffers, a whole download as a stream), each through the
 * account's fleet-wide limiter, with its OAuth token refreshed when it has expired, and error
 * answers turned into what they mean by the provider's `failure`.
 */
export class ProviderAccount {
  readonly #deps: ProviderDeps;
  readonly #options: ProviderAccountOptions;
  readonly #session: OAuthSession;
  /** A digest of the longest-lived token, never the token itself: whose owner to look up. */
  readonly #tokenDigest: string;
  /** The key before the owner is known: the app's, or the token's own. */
  readonly #provisionalKey: string;
  #ownerKey: string | null = null;

  constructor(deps: ProviderDeps, options: ProviderAccountOptions) {
    this.#deps = deps;
    this.#options = options;
    const { accessToken, refreshToken, clientId, clientSecret } = options.credentials;
    this.#tokenDigest = tokenAccount(refreshToken ?? accessToken ?? '');
    // The app (Dropbox app key, Google client id), when given: the account's limits are the app's.
    this.#provisionalKey = limitKey(
      options.provider,
      clientId ? `app:${clientId}` : `token:${this.#tokenDigest}`,
    );
    if (clientId) this.#ownerKey = this.#provisionalKey;
    const grant: RefreshGrant | null =
      refreshToken && clientId && clientSecret
        ? { tokenUrl: options.tokenUrl, refreshToken, clientId, clientSecret }
        : null;
    this.#session = new OAuthSession({
      accessToken,
      refresh: grant ? (signal) => this.#refresh(grant, signal) : null,
      now: deps.now,
    });
  }

  /** A JSON API call answered 200; its body. */
  async call(
    what: string,
    url: string,
    init: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string },
    signal: AbortSignal,
  ): Promise<Record<string, unknown> | null> {
    return this.#call(await this.#key(signal), what, url, init, signal);
  }

  #call(
    key: string,
    what: string,
    url: string,
    init: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string },
    signal: AbortSignal,
  ): Promise<Record<string, unknown> | null> {
    return this.#session.authorized(
      (token) =>
        this.#deps.limiter.request(
          key,
          async () => {
            const answer = await callProvider(
              this.#deps.dispatcher,
              url,
              { ...init, headers: { ...init.headers, authorization: `Bearer ${token}` } },
              signal,
            );
            if (answer.status !== 200) throw this.#failure(answer, what);
            return answerJson(answer);
          },
          signal,
        ),
      signal,
    );
  }

  /**
   * Bytes start..end of a file of `size` bytes, read into the part's budget buffers. The download
   * holds one of the account's fleet-wide download slots until its body is done.
   */
  async downloadRange(
    url: string,
    headers: Record<string, string>,
    range: { start: number; end: number; size: number },
    signal: AbortSignal,
    buffers: BufferLease,
  ): Promise<PartStream> {
    const { start, end, size } = range;
    const key = await this.#key(signal);
    const { value, release } = await this.#session.authorized(
      (token) =>
        this.#deps.limiter.download(
          key,
          async () => {
            const response = await this.#deps.downloads
              .request('GET', url, {
                headers: {
                  ...headers,
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
            if (response.statusCode === 206) {
              try {
                checkExactRange(response.headers, start, end, size);
              } catch (error) {
                response.body.destroy();
                throw error;
              }
              return response.body;
            }
            const body = await readErrorBody(response.body);
            if (response.statusCode === 200) {
              throw permanentError(
                ErrorCode.SOURCE_CLIENT_ERROR,
                `${this.#options.name} answered a ranged download with the whole file`,
              );
            }
            throw this.#failure(
              { status: response.statusCode, headers: response.headers, body },
              `bytes ${start}-${end}`,
            );
          },
          signal,
        ),
      signal,
    );
    return releasedPartStream(value, release);
  }

  /** The whole body of `url` as one stream, holding a download slot until the stream closes. */
  async downloadAll(
    what: string,
    url: string,
    headers: Record<string, string>,
    signal: AbortSignal,
  ): Promise<{ body: Readable; size: number | null }> {
    const key = await this.#key(signal);
    const { value, release } = await this.#session.authorized(
      (token) =>
        this.#deps.limiter.download(
          key,
          () =>
            openProviderStream(
              this.#deps.dispatcher,
              url,
              { ...headers, authorization: `Bearer ${token}` },
              signal,
              (status, answerHeaders, body) => this.#failure({ status, headers: answerHeaders, body }, what),
            ),
          signal,
        ),
      signal,
    );
    value.body.once('close', release);
    return value;
  }

  /**
   * The account's limiter key: the app's when known, else its owner's, looked up once per token for
   * the whole fleet. Should the lookup be refused (a token without the scope, say), the token's own
   * key serves: the import's own requests will tell what is wrong with the token, if anything. A
   * lookup that failed for now (throttled, a 5xx, a timeout) fails this request and is tried again
   * with the next: going on under the token's key while the rest of the fleet uses the owner's would
   * split one account's limit in two, and let the fleet send up to twice its rate (the chaos run saw
   * the provider's 429s that way).
   */
  async #key(signal: AbortSignal): Promise<string> {
    if (this.#ownerKey) return this.#ownerKey;
    const { provider, ownerLookup } = this.#options;
    try {
      const owner = await this.#deps.limiter.ownerOf(provider, this.#tokenDigest, async () => {
        const answer = await this.#call(
          this.#provisionalKey,
          'owner lookup',
          ownerLookup.url,
          ownerLookup.init,
          signal,
        );
        const owner = ownerLookup.owner(answer);
        if (!owner) throw permanentError(ErrorCode.SOURCE_CLIENT_ERROR, 'the provider named no owner');
        return owner;
      });
      this.#ownerKey = limitKey(provider, `user:${owner}`);
    } catch (error) {
      if (signal.aborted || error instanceof RateLimitedError || toTransferError(error).retryable)
        throw error;
      this.#ownerKey = this.#provisionalKey;
    }
    return this.#ownerKey;
  }

  #refresh(grant: RefreshGrant, signal: AbortSignal) {
    return this.#deps.limiter.request(
      this.#ownerKey ?? this.#provisionalKey,
      () =>
        refreshAccessToken(this.#deps.dispatcher, grant, signal, {
          now: this.#deps.now,
          throttled: (answer) => (answer.status === 429 ? this.#failure(answer, 'token refresh') : null),
        }),
      signal,
    );
  }

  #failure(answer: Pick<ProviderAnswer, 'status' | 'headers' | 'body'>, what: string): Error {
    return this.#options.failure(answer.status, answer.headers, answer.body, what, this.#deps.now());
  }
}
