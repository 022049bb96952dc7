/**
 * Google Drive emulator: a real HTTP server speaking the parts of Drive API v3 and Google's OAuth
 * token endpoint that imports use.
 *
 * - `GET {apiUrl}/drive/v3/files/{id}` with `fields=` (kind, id, name, mimeType, size as a string,
 *   md5Checksum, headRevisionId, modifiedTime; all of them when absent; an unknown field is a 400).
 *   Workspace documents have no size, md5Checksum or headRevisionId, as on Drive.
 * - `GET ...?alt=media` with `Range` (206/416); 403 `cannotDownloadAbusiveFile` for a file flagged
 *   abusive unless `acknowledgeAbuse=true`; 403 `fileNotDownloadable` for Workspace documents. Like
 *   Drive it honours Range without announcing Accept-Ranges.
 * - `GET {apiUrl}/drive/v3/files/{id}/export?mimeType=` streams the registered export, chunked,
 *   without Range support; 400 `badRequest` for a type not registered, 403 `fileNotExportable` for
 *   binary files.
 * - `GET {apiUrl}/drive/v3/about?fields=user(permissionId)`: the token owner's permission id.
 * - `POST {tokenUrl}` (`/token`) with `grant_type=refresh_token`.
 * - Errors in Google's JSON shape: 401 `authError` for invalid or expired tokens, 404 `notFound`
 *   (also for another account's file). Over the rate limit an account gets 403
 *   `userRateLimitExceeded` or 429 `rateLimitExceeded` (alternating by default, as Drive sends
 *   both), with Retry-After only when `retryAfterS` is set; without it the wait is 1 s.
 *
 * Endpoint names in the request log: `files.get`, `files.media`, `files.export`, `about.get`,
 * `token`, `unknown`.
 */
import { parseByteRange } from './byte-range.ts';
import type { Clock } from './clock.ts';
import type { EmulatorContent } from './emulator-content.ts';
import { DEFAULT_ACCOUNT, type EmulatorControls, EmulatorCore } from './emulator-core.ts';
import { startEmulatorServer } from './emulator-server.ts';
import type { Exchange } from './exchange.ts';
import { fileNotFound, sendDriveError } from './gdrive-errors.ts';
import {
  driveResource,
  GDRIVE_FIELDS,
  type GdriveBinaryFile,
  type GdriveFile,
  GdriveFiles,
} from './gdrive-files.ts';
import { readTokenRequest } from './oauth-form.ts';
import type { RateLimit } from './rate-limiter.ts';
import { sendContent } from './send-content.ts';

export interface GdriveRateLimit extends RateLimit {
  /** How an over-limit request is answered: 403 userRateLimitExceeded, 429, or turn about. Default 'alternate'. */
  answer?: 403 | 429 | 'alternate';
}

export interface GdriveEmulatorOptions {
  /** Time source for token expiry, rate windows and the request log. Default Date.now. */
  clock?: Clock;
  rateLimit?: GdriveRateLimit | null;
  /** Lifetime of access tokens minted by the token endpoint. Default 3599 s, as Google's. */
  refreshedTokenTtlS?: number;
  /** Port on 127.0.0.1; default a free one. */
  port?: number;
}

export interface GdriveFileInfo {
  id: string;
  md5: string;
  size: number;
  headRevisionId: string;
}

export interface GdriveEmulator extends EmulatorControls<GdriveRateLimit> {
  /** Stands for https://www.googleapis.com: files are at `${apiUrl}/drive/v3/files/{id}`. */
  apiUrl: string;
  /** Stands for https://oauth2.googleapis.com/token. */
  tokenUrl: string;
  addFile(
    content: EmulatorContent,
    options?: { name?: string; mimeType?: string; abusive?: boolean; account?: string },
  ): Promise<GdriveFileInfo>;
  /** A Google Docs/Sheets/... document: no bytes of its own, only the exports registered here. */
  addWorkspaceDocument(options: {
    mimeType: string;
    exports: Record<string, Buffer>;
    name?: string;
    account?: string;
  }): { id: string };
  /** New content under a new headRevisionId. */
  replaceFile(id: string, content: EmulatorContent): Promise<GdriveFileInfo>;
  issueAccessToken(options?: { account?: string; expiresInS?: number }): string;
  issueRefreshToken(options: { clientId: string; clientSecret: string; account?: string }): string;
  close(): Promise<void>;
}

const FILE_PATH = /^\/drive\/v3\/files\/([^/]+)(\/export)?$/;

/** Turns over between Drive's two rate-limit answers when asked to alternate. */
interface RateAnswers {
  sent: number;
}

type GdriveCore = EmulatorCore<GdriveRateLimit>;

export async function startGdriveEmulator(options: GdriveEmulatorOptions = {}): Promise<GdriveEmulator> {
  const core: GdriveCore = new EmulatorCore({
    clock: options.clock,
    rateLimit: options.rateLimit,
    tokens: {
      accessPrefix: 'ya29.',
      refreshPrefix: '1//',
      refreshedTtlS: options.refreshedTokenTtlS ?? 3599,
    },
    unlimitedEndpoints: ['token'],
  });
  const files = new GdriveFiles();
  const answers: RateAnswers = { sent: 0 };
  const server = await startEmulatorServer((req, res) => route(core, files, answers, core.track(req, res)), {
    port: options.port,
  });
  const info = (file: GdriveBinaryFile): GdriveFileInfo => ({
    id: file.id,
    md5: file.md5,
    size: file.size,
    headRevisionId: file.headRevisionId,
  });
  return {
    ...core.controls(),
    apiUrl: server.url,
    tokenUrl: `${server.url}/token`,
    addFile: async (
      content,
      {
        name = 'file.bin',
        mimeType = 'application/octet-stream',
        abusive = false,
        account = DEFAULT_ACCOUNT,
      } = {},
    ) => info(await files.addBinary(content, { name, mimeType, abusive, account }, core.clock())),
    addWorkspaceDocument: ({ mimeType, exports, name = 'Untitled document', account = DEFAULT_ACCOUNT }) => ({
      id: files.addWorkspace({ mimeType, exports, name, account }, core.clock()).id,
    }),
    replaceFile: async (id, content) => info(await files.replace(id, content, core.clock())),
    issueAccessToken: ({ account = DEFAULT_ACCOUNT, expiresInS } = {}) =>
      core.tokens.issueAccessToken({ account, expiresInS }),
    issueRefreshToken: ({ clientId, clientSecret, account = DEFAULT_ACCOUNT }) =>
      core.tokens.issueRefreshToken({ account, clientId, clientSecret }),
    close: async () => {
      await server.close();
      await core.settled();
    },
  };
}

async function route(
  core: GdriveCore,
  files: GdriveFiles,
  answers: RateAnswers,
  exchange: Exchange,
): Promise<void> {
  const method = exchange.req.method;
  if (exchange.url.pathname === '/token') {
    exchange.endpoint = 'token';
    if (method !== 'POST') return exchange.text(405, 'Use POST', { allow: 'POST' });
    return token(core, exchange);
  }
  if (exchange.url.pathname === '/drive/v3/about') {
    exchange.endpoint = 'about.get';
    if (method !== 'GET') return exchange.text(405, 'Use GET', { allow: 'GET' });
    const account = admit(core, answers, exchange);
    if (account === null) return;
    // A permission id per account, the same for all of its tokens.
    return exchange.json(200, {
      user: { kind: 'drive#user', permissionId: Buffer.from(account).toString('hex'), displayName: account },
    });
  }
  const match = FILE_PATH.exec(exchange.url.pathname);
  if (match === null) return exchange.text(404, 'Not Found');
  const params = exchange.url.searchParams;
  const exporting = match[2] !== undefined;
  exchange.endpoint = exporting
    ? 'files.export'
    : params.get('alt') === 'media'
      ? 'files.media'
      : 'files.get';
  if (method !== 'GET') return exchange.text(405, 'Use GET', { allow: 'GET' });
  const account = admit(core, answers, exchange);
  if (account === null) return;
  const id = decodeURIComponent(match[1] ?? '');
  const file = files.find(account, id);
  if (file === null) return fileNotFound(exchange, id);
  if (exporting) return exportFile(core, exchange, file);
  if (exchange.endpoint === 'files.media') return media(core, exchange, file);
  return metadata(exchange, file);
}

/** The request's account; null after answering the request when its token or its rate forbids it. */
function admit(core: GdriveCore, answers: RateAnswers, exchange: Exchange): string | null {
  const gate = core.gate(exchange);
  if (gate.ok) return gate.account;
  if (gate.reason === 'rate_limited') {
    const limit = core.limiter.limit;
    const headers = limit?.retryAfterS === undefined ? {} : { 'retry-after': String(gate.retryAfterS) };
    const answer = limit?.answer ?? 'alternate';
    const status = answer === 'alternate' ? (answers.sent % 2 === 0 ? 403 : 429) : answer;
    answers.sent += 1;
    if (status === 403) {
      sendDriveError(exchange, 403, {
        domain: 'usageLimits',
        reason: 'userRateLimitExceeded',
        message: 'User Rate Limit Exceeded',
        headers,
      });
    } else {
      sendDriveError(exchange, 429, {
        domain: 'usageLimits',
        reason: 'rateLimitExceeded',
        message: 'Rate Limit Exceeded',
        headers,
      });
    }
    return null;
  }
  const missing = gate.reason === 'missing';
  sendDriveError(exchange, 401, {
    reason: missing ? 'required' : 'authError',
    message: missing ? 'Request is missing required authentication credential.' : 'Invalid Credentials',
    location: 'Authorization',
    locationType: 'header',
    headers: { 'www-authenticate': 'Bearer realm="https://accounts.google.com/"' },
  });
  return null;
}

function metadata(exchange: Exchange, file: GdriveFile): void {
  const requested = exchange.url.searchParams.get('fields');
  const fields =
    requested === null || requested.trim() === '*'
      ? [...GDRIVE_FIELDS]
      : requested.split(',').map((field) => field.trim());
  const unknown = fields.find((field) => !(GDRIVE_FIELDS as readonly string[]).includes(field));
  if (unknown !== undefined) {
    sendDriveError(exchange, 400, {
      reason: 'invalidParameter',
      message: `Invalid field selection ${unknown}`,
      location: 'fields',
      locationType: 'parameter',
    });
    return;
  }
  exchange.json(200, driveResource(file, fields));
}

async function media(core: GdriveCore, exchange: Exchange, file: GdriveFile): Promise<void> {
  if (file.kind === 'workspace') {
    return sendDriveError(exchange, 403, {
      reason: 'fileNotDownloadable',
      message: 'Only files with binary content can be downloaded. Use Export with Docs Editors files.',
      location: 'alt',
      locationType: 'parameter',
    });
  }
  if (file.abusive && exchange.url.searchParams.get('acknowledgeAbuse') !== 'true') {
    return sendDriveError(exchange, 403, {
      reason: 'cannotDownloadAbusiveFile',
      message: 'This file has been identified as malware or spam and cannot be downloaded.',
      location: 'acknowledgeAbuse',
      locationType: 'parameter',
    });
  }
  const range = parseByteRange(exchange.req.headers.range, file.size);
  if (range.kind === 'unsatisfiable') {
    return exchange.empty(416, { 'content-range': `bytes */${file.size}` });
  }
  const partial = range.kind === 'partial';
  const start = partial ? range.start : 0;
  const end = partial ? range.end : file.size - 1;
  await sendContent(exchange, core.faults, {
    status: partial ? 206 : 200,
    headers: {
      'content-type': file.mimeType,
      ...(partial ? { 'content-range': `bytes ${start}-${end}/${file.size}` } : {}),
    },
    content: file.content,
    start,
    end,
  });
}

async function exportFile(core: GdriveCore, exchange: Exchange, file: GdriveFile): Promise<void> {
  const mimeType = exchange.url.searchParams.get('mimeType');
  if (mimeType === null || mimeType === '') {
    return sendDriveError(exchange, 400, {
      reason: 'required',
      message: 'Required parameter: mimeType',
      location: 'mimeType',
      locationType: 'parameter',
    });
  }
  if (file.kind === 'binary') {
    return sendDriveError(exchange, 403, {
      reason: 'fileNotExportable',
      message: 'Export only supports Docs Editors files.',
    });
  }
  const bytes = file.exports.get(mimeType);
  if (bytes === undefined) {
    return sendDriveError(exchange, 400, {
      reason: 'badRequest',
      message: 'The requested conversion is not supported.',
      location: 'convertTo',
      locationType: 'parameter',
    });
  }
  await sendContent(exchange, core.faults, {
    status: 200,
    headers: { 'content-type': mimeType },
    announceLength: false,
    content: bytes,
    start: 0,
    end: bytes.length - 1,
  });
}

async function token(core: GdriveCore, exchange: Exchange): Promise<void> {
  const request = await readTokenRequest(exchange);
  if (request === null) return exchange.text(413, 'Request body too large');
  exchange.account = core.tokens.refreshTokenAccount(request.refreshToken);
  if (request.grantType !== 'refresh_token') {
    return exchange.json(400, { error: 'unsupported_grant_type', error_description: 'Invalid grant_type' });
  }
  if (request.refreshToken === '' || request.clientId === '') {
    return exchange.json(400, { error: 'invalid_request', error_description: 'Missing required parameter' });
  }
  const outcome = core.tokens.refresh(request);
  if (!outcome.ok) {
    const description = outcome.reason === 'revoked' ? 'Token has been expired or revoked.' : 'Bad Request';
    return exchange.json(400, { error: 'invalid_grant', error_description: description });
  }
  exchange.json(200, {
    access_token: outcome.accessToken,
    expires_in: outcome.expiresInS,
    token_type: 'Bearer',
  });
}
