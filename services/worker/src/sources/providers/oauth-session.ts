import { ErrorCode } from '@ferry/shared';
import { permanentError } from '../../errors/transfer-error.ts';

/** What a token endpoint grants: an access token and when it stops working (null: not said). */
export interface TokenGrant {
  accessToken: string;
  expiresAt: number | null;
}

/** The provider answered 401 because this access token has expired: refresh and try again. */
export class AccessTokenExpired extends Error {
  constructor() {
    super('access token expired');
    this.name = 'AccessTokenExpired';
  }
}

/** Refresh a little before the stated expiry, so a part does not start with a dying token. */
const EXPIRY_MARGIN_MS = 60_000;

/**
 * The access token of one import's provider account. With a refresh token it renews the access
 * token when it is missing, about to expire, or reported expired by the provider; one refresh at a
 * time however many parts ask. Without one, an expired token ends the import with a clear code.
 */
export class OAuthSession {
  readonly #refresh: ((signal: AbortSignal) => Promise<TokenGrant>) | null;
  readonly #now: () => number;
  #token: string | null;
  #expiresAt: number | null = null;
  #refreshing: Promise<string> | null = null;

  constructor(options: {
    accessToken: string | undefined;
    refresh: ((signal: AbortSignal) => Promise<TokenGrant>) | null;
    now: () => number;
  }) {
    this.#token = options.accessToken ?? null;
    this.#refresh = options.refresh;
    this.#now = options.now;
  }

  /** A token to send now. */
  async token(signal: AbortSignal): Promise<string> {
    const fresh = this.#expiresAt === null || this.#expiresAt - EXPIRY_MARGIN_MS > this.#now();
    if (this.#token && (fresh || !this.#refresh)) return this.#token;
    return this.#renew(signal);
  }

  /** The provider said `stale` has expired: a new token, unless another part already got one. */
  async expired(stale: string, signal: AbortSignal): Promise<string> {
    if (this.#token && this.#token !== stale) return this.#token;
    if (!this.#refresh) {
      throw permanentError(
        ErrorCode.SOURCE_UNAUTHORIZED,
        'the provider refused the access token (expired or revoked) and no refresh token was given',
      );
    }
    return this.#renew(signal);
  }

  /** Runs `call` with a token, refreshing once and calling again if the provider says it expired. */
  async authorized<T>(call: (token: string) => Promise<T>, signal: AbortSignal): Promise<T> {
    const token = await this.token(signal);
    try {
      return await call(token);
    } catch (error) {
      if (!(error instanceof AccessTokenExpired)) throw error;
      const renewed = await this.expired(token, signal);
      try {
        return await call(renewed);
      } catch (again) {
        if (again instanceof AccessTokenExpired) {
          throw permanentError(
            ErrorCode.SOURCE_UNAUTHORIZED,
            'the provider refused a freshly refreshed token',
          );
        }
        throw again;
      }
    }
  }

  #renew(signal: AbortSignal): Promise<string> {
    const refresh = this.#refresh;
    if (!refresh) throw permanentError(ErrorCode.SOURCE_UNAUTHORIZED, 'no access token was given');
    this.#refreshing ??= refresh(signal)
      .then((grant) => {
        this.#token = grant.accessToken;
        this.#expiresAt = grant.expiresAt;
        return grant.accessToken;
      })
      .finally(() => {
        this.#refreshing = null;
      });
    return this.#refreshing;
  }
}
