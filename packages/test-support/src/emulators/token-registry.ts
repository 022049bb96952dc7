import { randomBytes } from 'node:crypto';
import type { Clock } from './clock.ts';
import { EmulatorError } from './emulator-error.ts';

export type Authentication = { ok: true; account: string } | { ok: false; reason: 'invalid' | 'expired' };

export interface RefreshGrant {
  refreshToken: string;
  clientId: string;
  clientSecret: string;
}

export type RefreshOutcome =
  | { ok: true; accessToken: string; account: string; expiresInS: number }
  | { ok: false; reason: 'unknown_token' | 'revoked' | 'client_mismatch' };

interface AccessToken {
  account: string;
  expiresAt: number | null;
  revoked: boolean;
}

interface RefreshToken {
  account: string;
  clientId: string;
  clientSecret: string;
  revoked: boolean;
}

export interface TokenFormat {
  /** Prefix of access tokens, as the provider's look (Dropbox `sl.`, Google `ya29.`). */
  accessPrefix: string;
  refreshPrefix: string;
  /** Lifetime of access tokens got by refreshing. */
  refreshedTtlS: number;
}

/** OAuth tokens of one emulator: who owns each, when it expires, whether it was revoked. */
export class TokenRegistry {
  readonly #clock: Clock;
  readonly #format: TokenFormat;
  readonly #access = new Map<string, AccessToken>();
  readonly #refresh = new Map<string, RefreshToken>();

  constructor(clock: Clock, format: TokenFormat) {
    this.#clock = clock;
    this.#format = format;
  }

  issueAccessToken(options: { account: string; expiresInS?: number }): string {
    const { account, expiresInS } = options;
    assertName(account, 'account');
    if (expiresInS !== undefined && !(Number.isFinite(expiresInS) && expiresInS >= 0)) {
      throw new EmulatorError('EMULATOR_BAD_INPUT', 'expiresInS must be a number >= 0');
    }
    const token = `${this.#format.accessPrefix}${randomBytes(24).toString('base64url')}`;
    const expiresAt = expiresInS === undefined ? null : this.#clock() + expiresInS * 1000;
    this.#access.set(token, { account, expiresAt, revoked: false });
    return token;
  }

  issueRefreshToken(options: { account: string; clientId: string; clientSecret: string }): string {
    assertName(options.account, 'account');
    assertName(options.clientId, 'client id');
    assertName(options.clientSecret, 'client secret');
    const token = `${this.#format.refreshPrefix}${randomBytes(32).toString('base64url')}`;
    this.#refresh.set(token, { ...options, revoked: false });
    return token;
  }

  authenticate(token: string): Authentication {
    const entry = this.#access.get(token);
    if (entry === undefined || entry.revoked) return { ok: false, reason: 'invalid' };
    if (entry.expiresAt !== null && this.#clock() >= entry.expiresAt) return { ok: false, reason: 'expired' };
    return { ok: true, account: entry.account };
  }

  refresh(grant: RefreshGrant): RefreshOutcome {
    const entry = this.#refresh.get(grant.refreshToken);
    if (entry === undefined) return { ok: false, reason: 'unknown_token' };
    if (entry.revoked) return { ok: false, reason: 'revoked' };
    if (entry.clientId !== grant.clientId || entry.clientSecret !== grant.clientSecret) {
      return { ok: false, reason: 'client_mismatch' };
    }
    const expiresInS = this.#format.refreshedTtlS;
    const accessToken = this.issueAccessToken({ account: entry.account, expiresInS });
    return { ok: true, accessToken, account: entry.account, expiresInS };
  }

  /** The account a refresh token belongs to, for the request log; null when unknown. */
  refreshTokenAccount(token: string): string | null {
    return this.#refresh.get(token)?.account ?? null;
  }

  /** Makes an access token expired from now on. */
  expire(token: string): void {
    const entry = this.#access.get(token);
    if (entry === undefined)
      throw new EmulatorError('EMULATOR_NOT_FOUND', 'expireToken: no such access token');
    entry.expiresAt = this.#clock();
  }

  /** Revokes an access or a refresh token. */
  revoke(token: string): void {
    const entry = this.#access.get(token) ?? this.#refresh.get(token);
    if (entry === undefined) throw new EmulatorError('EMULATOR_NOT_FOUND', 'revokeToken: no such token');
    entry.revoked = true;
  }
}

function assertName(value: unknown, field: string): void {
  if (typeof value !== 'string' || value === '') {
    throw new EmulatorError('EMULATOR_BAD_INPUT', `${field} must be a non-empty string`);
  }
}
