/**
 * Dropbox emulator: a real HTTP server speaking the parts of Dropbox's API v2 that imports use.
 *
 * - `POST {apiUrl}/2/files/get_metadata` `{ path }` (`/a/b.bin`, `id:...`, `rev:...`): file or folder
 *   metadata; 409 `path/not_found` for what does not exist.
 * - `GET|POST {contentUrl}/2/files/download`, argument in `Dropbox-API-Arg` or the `arg` query
 *   parameter: the bytes, with `Range` (206/416), `If-Range`, a strong `ETag` of `"<rev>"` and
 *   `Dropbox-API-Result` (non-ASCII escaped as Dropbox does). `rev:` pins a revision; old revisions
 *   stay downloadable after `replaceFile`.
 * - `POST {apiUrl}/2/users/get_current_account`: the token owner's `account_id` (`dbid:…`).
 * - `POST {apiUrl}/oauth2/token` with `grant_type=refresh_token` (client in the form or Basic auth).
 * - 401 `invalid_access_token` / `expired_access_token`; 429 `too_many_requests` with Retry-After
 *   when an account (the owner of a token) exceeds `rateLimit` in a sliding 1-second window. The
 *   token endpoint is outside the limit.
 *
 * Endpoint names in the request log: `files/get_metadata`, `files/download`,
 * `users/get_current_account`, `oauth2/token`, `unknown`. One server answers both the API and the content origin.
 */

import { parseByteRange } from './byte-range.ts';
import type { Clock } from './clock.ts';
import { DropboxFiles, fileMetadata, folderMetadata, type StoredRevision } from './dropbox-files.ts';
import type { EmulatorContent } from './emulator-content.ts';
import { DEFAULT_ACCOUNT, type EmulatorControls, EmulatorCore } from './emulator-core.ts';
import { startEmulatorServer } from './emulator-server.ts';
import type { Exchange } from './exchange.ts';
import { readTokenRequest } from './oauth-form.ts';
import type { RateLimit } from './rate-limiter.ts';
import { sendContent } from './send-content.ts';

export interface DropboxEmulatorOptions {
  /** Time source for token expiry, rate windows and the request log. Default Date.now. */
  clock?: Clock;
  rateLimit?: RateLimit | null;
  /** Lifetime of access tokens minted by /oauth2/token. Default 14400 s, as Dropbox's. */
  refreshedTokenTtlS?: number;
  /** Port on 127.0.0.1; default a free one. */
  port?: number;
}

export interface DropboxFileInfo {
  id: string;
  rev: string;
  size: number;
  contentHash: string;
}

export interface DropboxEmulator extends EmulatorControls<RateLimit> {
  /** Stands for https://api.dropboxapi.com. */
  apiUrl: string;
  /** Stands for https://content.dropboxapi.com (the same origin here). */
  contentUrl: string;
  addFile(path: string, content: EmulatorContent, options?: { account?: string }): Promise<DropboxFileInfo>;
  /** Gives the file at `path` new content under a new rev; earlier revs stay downloadable. */
  replaceFile(
    path: string,
    content: EmulatorContent,
    options?: { account?: string },
  ): Promise<DropboxFileInfo>;
  issueAccessToken(options?: { account?: string; expiresInS?: number }): string;
  issueRefreshToken(options: { account?: string; appKey: string; appSecret: string }): string;
  close(): Promise<void>;
}

type DropboxCore = EmulatorCore<RateLimit>;

export async function startDropboxEmulator(options: DropboxEmulatorOptions = {}): Promise<DropboxEmulator> {
  const core: DropboxCore = new EmulatorCore({
    clock: options.clock,
    rateLimit: options.rateLimit,
    tokens: { accessPrefix: 'sl.', refreshPrefix: '', refreshedTtlS: options.refreshedTokenTtlS ?? 14_400 },
    unlimitedEndpoints: ['oauth2/token'],
  });
  const files = new DropboxFiles();
  const server = await startEmulatorServer((req, res) => route(core, files, core.track(req, res)), {
    port: options.port,
  });
  const info = ({ file, revision }: StoredRevision): DropboxFileInfo => ({
    id: file.id,
    rev: revision.rev,
    size: revision.size,
    contentHash: revision.contentHash,
  });
  return {
    ...core.controls(),
    apiUrl: server.url,
    contentUrl: server.url,
    addFile: async (path, content, { account = DEFAULT_ACCOUNT } = {}) =>
      info(await files.add(account, path, content, core.clock())),
    replaceFile: async (path, content, { account = DEFAULT_ACCOUNT } = {}) =>
      info(await files.replace(account, path, content, core.clock())),
    issueAccessToken: ({ account = DEFAULT_ACCOUNT, expiresInS } = {}) =>
      core.tokens.issueAccessToken({ account, expiresInS }),
    issueRefreshToken: ({ account = DEFAULT_ACCOUNT, appKey, appSecret }) =>
      core.tokens.issueRefreshToken({ account, clientId: appKey, clientSecret: appSecret }),
    close: async () => {
      await server.close();
      await core.settled();
    },
  };
}

async function route(core: DropboxCore, files: DropboxFiles, exchange: Exchange): Promise<void> {
  const method = exchange.req.method;
  switch (exchange.url.pathname) {
    case '/oauth2/token':
      exchange.endpoint = 'oauth2/token';
      if (method !== 'POST') return exchange.text(405, 'Use POST', { allow: 'POST' });
      return token(core, exchange);
    case '/2/users/get_current_account':
      exchange.endpoint = 'users/get_current_account';
      if (method !== 'POST') return exchange.text(405, 'Use POST', { allow: 'POST' });
      return currentAccount(exchange, admit(core, exchange));
    case '/2/files/get_metadata':
      exchange.endpoint = 'files/get_metadata';
      if (method !== 'POST') return exchange.text(405, 'Use POST', { allow: 'POST' });
      return getMetadata(files, exchange, admit(core, exchange));
    case '/2/files/download':
      exchange.endpoint = 'files/download';
      if (method !== 'POST' && method !== 'GET')
        return exchange.text(405, 'Use GET or POST', { allow: 'GET, POST' });
      return download(core, files, exchange, admit(core, exchange));
    default:
      return exchange.text(404, 'Unknown API function');
  }
}

/** The request's account; null after answering the request when its token or its rate forbids it. */
function admit(core: DropboxCore, exchange: Exchange): string | null {
  const gate = core.gate(exchange);
  if (gate.ok) return gate.account;
  switch (gate.reason) {
    case 'missing':
      badInput(exchange, 'Must provide HTTP header "Authorization" with a Bearer token.');
      break;
    case 'invalid':
      exchange.json(401, {
        error_summary: 'invalid_access_token/..',
        error: { '.tag': 'invalid_access_token' },
      });
      break;
    case 'expired':
      exchange.json(401, {
        error_summary: 'expired_access_token/..',
        error: { '.tag': 'expired_access_token' },
      });
      break;
    case 'rate_limited':
      exchange.json(
        429,
        {
          error_summary: 'too_many_requests/..',
          error: { reason: { '.tag': 'too_many_requests' }, retry_after: gate.retryAfterS },
        },
        { 'retry-after': String(gate.retryAfterS) },
      );
      break;
  }
  return null;
}

/** Dropbox's account_id for the emulator's account name: stable, and the same for all its tokens. */
function currentAccount(exchange: Exchange, account: string | null): void {
  if (account === null) return;
  exchange.json(200, {
    account_id: `dbid:${Buffer.from(account).toString('base64url')}`,
    name: { display_name: account },
    disabled: false,
  });
}

async function getMetadata(files: DropboxFiles, exchange: Exchange, account: string | null): Promise<void> {
  if (account === null) return;
  const body = await exchange.body();
  if (body === null) return exchange.text(413, 'Request body too large');
  const path = pathArgument(exchange, body.toString('utf8'));
  if (path === null) return;
  const entry = files.resolve(account, path);
  if (entry === null) return pathError(exchange, 'not_found');
  if (entry.tag === 'folder') return exchange.json(200, folderMetadata(entry.id, entry.pathDisplay));
  exchange.json(200, fileMetadata(entry.file, entry.revision));
}

async function download(
  core: DropboxCore,
  files: DropboxFiles,
  exchange: Exchange,
  account: string | null,
): Promise<void> {
  if (account === null) return;
  const arg = exchange.req.headers['dropbox-api-arg'] ?? exchange.url.searchParams.get('arg');
  if (typeof arg !== 'string') {
    return badInput(exchange, 'Must provide HTTP header "Dropbox-API-Arg" or URL parameter "arg".');
  }
  const path = pathArgument(exchange, arg);
  if (path === null) return;
  const entry = files.resolve(account, path);
  if (entry === null) return pathError(exchange, 'not_found');
  if (entry.tag === 'folder') return pathError(exchange, 'not_file');
  const { revision } = entry;
  const etag = `"${revision.rev}"`;
  const ifRange = exchange.req.headers['if-range'];
  const range =
    ifRange === undefined || ifRange === etag
      ? parseByteRange(exchange.req.headers.range, revision.size)
      : ({ kind: 'whole' } as const);
  const headers = {
    'accept-ranges': 'bytes',
    etag,
    'dropbox-api-result': headerSafeJson(fileMetadata(entry.file, revision)),
  };
  if (range.kind === 'unsatisfiable') {
    return exchange.empty(416, { ...headers, 'content-range': `bytes */${revision.size}` });
  }
  const partial = range.kind === 'partial';
  const start = partial ? range.start : 0;
  const end = partial ? range.end : revision.size - 1;
  await sendContent(exchange, core.faults, {
    status: partial ? 206 : 200,
    headers: {
      ...headers,
      'content-type': 'application/octet-stream',
      ...(partial ? { 'content-range': `bytes ${start}-${end}/${revision.size}` } : {}),
    },
    content: revision.content,
    start,
    end,
  });
}

async function token(core: DropboxCore, exchange: Exchange): Promise<void> {
  const request = await readTokenRequest(exchange);
  if (request === null) return exchange.text(413, 'Request body too large');
  exchange.account = core.tokens.refreshTokenAccount(request.refreshToken);
  if (request.grantType !== 'refresh_token') {
    return exchange.json(400, {
      error: 'unsupported_grant_type',
      error_description: 'grant_type must be refresh_token',
    });
  }
  if (request.refreshToken === '' || request.clientId === '') {
    return exchange.json(400, {
      error: 'invalid_request',
      error_description: 'refresh_token and client_id are required',
    });
  }
  const outcome = core.tokens.refresh(request);
  if (!outcome.ok) {
    const description =
      outcome.reason === 'client_mismatch'
        ? 'invalid client_id or client_secret'
        : 'refresh token is invalid or revoked';
    return exchange.json(400, { error: 'invalid_grant', error_description: description });
  }
  exchange.json(200, {
    access_token: outcome.accessToken,
    token_type: 'bearer',
    expires_in: outcome.expiresInS,
  });
}

/** The `path` of a JSON argument, or null after answering 400 as Dropbox does for a bad argument. */
function pathArgument(exchange: Exchange, json: string): string | null {
  let arg: unknown;
  try {
    arg = JSON.parse(json);
  } catch {
    badInput(exchange, 'could not decode input as JSON');
    return null;
  }
  const path = (arg as { path?: unknown } | null)?.path;
  if (typeof path !== 'string') {
    badInput(exchange, 'missing required field "path"');
    return null;
  }
  if (path === '') {
    badInput(exchange, 'path: the root folder is unsupported');
    return null;
  }
  if (!/^(\/|id:|rev:[0-9a-f]{9,}$)/.test(path)) {
    badInput(exchange, 'path: did not match pattern');
    return null;
  }
  return path;
}

function badInput(exchange: Exchange, message: string): void {
  exchange.text(400, `Error in call to API function "${exchange.endpoint}": ${message}`);
}

function pathError(exchange: Exchange, tag: 'not_found' | 'not_file'): void {
  exchange.json(409, { error_summary: `path/${tag}/..`, error: { '.tag': 'path', path: { '.tag': tag } } });
}

/** JSON fit for an HTTP header: Dropbox escapes every character from U+007F up as \uXXXX. */
function headerSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
