import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type DropboxEmulator, startDropboxEmulator } from './dropbox-emulator.ts';

/** Dropbox's content_hash written out plainly, to check the emulator's streaming hasher against. */
function referenceContentHash(bytes: Buffer): string {
  const block = 4 * 1024 * 1024;
  const digests: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += block) {
    digests.push(
      createHash('sha256')
        .update(bytes.subarray(offset, offset + block))
        .digest(),
    );
  }
  return createHash('sha256').update(Buffer.concat(digests)).digest('hex');
}

let now: number;
let emulator: DropboxEmulator;
let token: string;

beforeEach(async () => {
  now = Date.parse('2030-01-01T00:00:00Z');
  emulator = await startDropboxEmulator({ clock: () => now });
  token = emulator.issueAccessToken();
});

afterEach(async () => {
  await emulator.close();
});

function metadata(path: string, bearer = token): Promise<Response> {
  return fetch(`${emulator.apiUrl}/2/files/get_metadata`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: JSON.stringify({ path }),
  });
}

function download(path: string, headers: Record<string, string> = {}, bearer = token): Promise<Response> {
  return fetch(`${emulator.contentUrl}/2/files/download`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${bearer}`,
      'dropbox-api-arg': JSON.stringify({ path }).replace(
        /[\u007f-\uffff]/g,
        (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
      ),
      ...headers,
    },
  });
}

function refresh(form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${emulator.apiUrl}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
}

describe('Dropbox emulator: metadata', () => {
  it('answers file metadata whose content_hash matches an independent computation', async () => {
    const bytes = randomBytes(9 * 1024 * 1024 + 123);
    const added = await emulator.addFile('/Photos/Trip.BIN', bytes);
    expect(added.contentHash).toBe(referenceContentHash(bytes));

    const response = await metadata('/photos/trip.bin');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      '.tag': 'file',
      name: 'Trip.BIN',
      id: added.id,
      path_lower: '/photos/trip.bin',
      path_display: '/Photos/Trip.BIN',
      rev: added.rev,
      size: bytes.length,
      content_hash: added.contentHash,
      server_modified: '2030-01-01T00:00:00Z',
      client_modified: '2030-01-01T00:00:00Z',
      is_downloadable: true,
    });
    expect(added.id).toMatch(/^id:/);
    expect(await (await metadata(added.id)).json()).toMatchObject({ rev: added.rev });
    expect(await (await metadata(`rev:${added.rev}`)).json()).toMatchObject({ id: added.id });
  });

  it('answers folders for the parents of files and 409 path/not_found for what is missing', async () => {
    await emulator.addFile('/a/b/c.bin', Buffer.from('x'));
    const folder = await (await metadata('/A/b')).json();
    expect(folder).toMatchObject({
      '.tag': 'folder',
      name: 'b',
      id: expect.stringMatching(/^id:/),
      path_lower: '/a/b',
      path_display: '/a/b',
    });

    const missing = await metadata('/a/nope.bin');
    expect(missing.status).toBe(409);
    expect(await missing.json()).toEqual({
      error_summary: 'path/not_found/..',
      error: { '.tag': 'path', path: { '.tag': 'not_found' } },
    });
    const folderDownload = await download('/a/b');
    expect(folderDownload.status).toBe(409);
    expect(await folderDownload.json()).toMatchObject({ error: { path: { '.tag': 'not_file' } } });
  });

  it('refuses malformed arguments with 400 and keeps files of other accounts out of sight', async () => {
    await emulator.addFile('/mine.bin', Buffer.from('x'), { account: 'alice' });
    expect((await metadata('no-slash')).status).toBe(400);
    const bad = await fetch(`${emulator.apiUrl}/2/files/get_metadata`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: '{nope',
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('files/get_metadata');
    expect((await metadata('/mine.bin')).status).toBe(409);
    expect((await metadata('/mine.bin', emulator.issueAccessToken({ account: 'alice' }))).status).toBe(200);
  });
});

describe('Dropbox emulator: download', () => {
  it('serves the whole file with Dropbox-API-Result (non-ASCII escaped), ETag and Accept-Ranges', async () => {
    const bytes = randomBytes(100_000);
    const added = await emulator.addFile('/dossier/été.bin', bytes);
    const response = await download('/dossier/été.bin');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe('100000');
    expect(response.headers.get('accept-ranges')).toBe('bytes');
    expect(response.headers.get('etag')).toBe(`"${added.rev}"`);
    const result = response.headers.get('dropbox-api-result') ?? '';
    expect(result).toContain('\\u00e9');
    expect(JSON.parse(result)).toMatchObject({ name: 'été.bin', rev: added.rev, size: 100_000 });
    expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('serves byte ranges with 206 and Content-Range, and 416 past the end', async () => {
    const bytes = randomBytes(1000);
    await emulator.addFile('/r.bin', bytes);
    const part = await download('/r.bin', { range: 'bytes=100-199' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 100-199/1000');
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(100, 200))).toBe(true);

    const tail = await download('/r.bin', { range: 'bytes=-10' });
    expect(Buffer.from(await tail.arrayBuffer()).equals(bytes.subarray(990))).toBe(true);

    const beyond = await download('/r.bin', { range: 'bytes=1000-' });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe('bytes */1000');
  });

  it('takes the argument from the arg query parameter on GET', async () => {
    await emulator.addFile('/q.bin', Buffer.from('hello'));
    const arg = encodeURIComponent(JSON.stringify({ path: '/q.bin' }));
    const response = await fetch(`${emulator.contentUrl}/2/files/download?arg=${arg}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(await response.text()).toBe('hello');
  });

  it('pins rev: to the old content after a replace', async () => {
    const first = await emulator.addFile('/v.bin', Buffer.from('first version'));
    const second = await emulator.replaceFile('/v.bin', Buffer.from('second'));
    expect(second.id).toBe(first.id);
    expect(second.rev).not.toBe(first.rev);
    expect(await (await download('/v.bin')).text()).toBe('second');
    const pinned = await download(`rev:${first.rev}`);
    expect(pinned.headers.get('etag')).toBe(`"${first.rev}"`);
    expect(await pinned.text()).toBe('first version');
    expect(await (await metadata('/v.bin')).json()).toMatchObject({ rev: second.rev });
  });

  it('streams a file from disk, hashed as Dropbox does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-dropbox-emu-'));
    try {
      const bytes = randomBytes(5 * 1024 * 1024);
      const file = join(dir, 'big.bin');
      writeFileSync(file, bytes);
      const added = await emulator.addFile('/big.bin', { file });
      expect(added).toMatchObject({ size: bytes.length, contentHash: referenceContentHash(bytes) });
      const part = await download('/big.bin', { range: 'bytes=4194300-4194399' });
      expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(4_194_300, 4_194_400))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Dropbox emulator: tokens', () => {
  it('answers 401 expired_access_token once a token expires, and refreshing mints a working one', async () => {
    await emulator.addFile('/t.bin', Buffer.from('x'));
    const shortLived = emulator.issueAccessToken({ expiresInS: 60 });
    expect((await metadata('/t.bin', shortLived)).status).toBe(200);
    now += 60_000;
    const expired = await metadata('/t.bin', shortLived);
    expect(expired.status).toBe(401);
    expect(await expired.json()).toEqual({
      error_summary: 'expired_access_token/..',
      error: { '.tag': 'expired_access_token' },
    });

    const refreshToken = emulator.issueRefreshToken({ appKey: 'key', appSecret: 'secret' });
    const minted = await refresh({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: 'key',
      client_secret: 'secret',
    });
    expect(minted.status).toBe(200);
    const body = (await minted.json()) as { access_token: string };
    expect(body).toMatchObject({ token_type: 'bearer', expires_in: 14_400 });
    expect((await metadata('/t.bin', body.access_token)).status).toBe(200);

    const basic = Buffer.from('key:secret').toString('base64');
    const viaBasic = await refresh(
      { grant_type: 'refresh_token', refresh_token: refreshToken },
      { authorization: `Basic ${basic}` },
    );
    expect(viaBasic.status).toBe(200);
  });

  it('refuses unknown and revoked tokens with 401 invalid_access_token', async () => {
    await emulator.addFile('/t.bin', Buffer.from('x'));
    const unknown = await metadata('/t.bin', 'sl.not-a-token');
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toMatchObject({ error: { '.tag': 'invalid_access_token' } });
    emulator.revokeToken(token);
    expect((await metadata('/t.bin')).status).toBe(401);
    const another = emulator.issueAccessToken();
    emulator.expireToken(another);
    expect(await (await metadata('/t.bin', another)).json()).toMatchObject({
      error: { '.tag': 'expired_access_token' },
    });
    expect(
      (await fetch(`${emulator.apiUrl}/2/files/get_metadata`, { method: 'POST', body: '{}' })).status,
    ).toBe(400);
  });

  it('answers 400 invalid_grant for a bad refresh token, a wrong secret or a revoked token', async () => {
    const refreshToken = emulator.issueRefreshToken({ appKey: 'key', appSecret: 'secret' });
    const grant = { grant_type: 'refresh_token', client_id: 'key', client_secret: 'secret' };
    const wrongToken = await refresh({ ...grant, refresh_token: 'nope' });
    expect(wrongToken.status).toBe(400);
    expect(await wrongToken.json()).toMatchObject({ error: 'invalid_grant' });
    const wrongSecret = await refresh({ ...grant, refresh_token: refreshToken, client_secret: 'other' });
    expect(await wrongSecret.json()).toMatchObject({ error: 'invalid_grant' });
    emulator.revokeToken(refreshToken);
    const revoked = await refresh({ ...grant, refresh_token: refreshToken });
    expect(revoked.status).toBe(400);
    expect(JSON.stringify(await revoked.json())).not.toContain(refreshToken);
  });
});

describe('Dropbox emulator: rate limit and faults', () => {
  it('answers 429 with retry_after and Retry-After over the limit, and records the pause', async () => {
    await emulator.addFile('/l.bin', Buffer.from('x'));
    emulator.setRateLimit({ requestsPerSecond: 2, retryAfterS: 3 });
    expect((await metadata('/l.bin')).status).toBe(200);
    expect((await download('/l.bin')).status).toBe(200);
    const limited = await metadata('/l.bin');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    expect(await limited.json()).toEqual({
      error_summary: 'too_many_requests/..',
      error: { reason: { '.tag': 'too_many_requests' }, retry_after: 3 },
    });
    const started = now;

    now += 1000;
    const during = await download('/l.bin');
    expect(during.status).toBe(429);
    expect(during.headers.get('retry-after')).toBe('2');
    const otherAccount = emulator.issueAccessToken({ account: 'bob' });
    expect((await metadata('/l.bin', otherAccount)).status).toBe(409);

    now += 2000;
    expect((await metadata('/l.bin')).status).toBe(200);

    await vi.waitFor(() => expect(emulator.requests()).toHaveLength(6));
    expect(emulator.pauses()).toEqual([
      { account: 'default', from: started, until: started + 3000, window: [started, started] },
    ]);
    const violations = emulator.requestsDuringPauses({ graceMs: 500 });
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatchObject({ endpoint: 'files/download', status: 429, at: started + 1000 });
    expect(emulator.stats()).toMatchObject({
      requests: 6,
      rateLimited: 2,
      byStatus: { '200': 3, '409': 1, '429': 2 },
      byEndpoint: { 'files/get_metadata': 4, 'files/download': 2 },
    });

    emulator.resetStats();
    expect(emulator.requests()).toEqual([]);
    expect(emulator.pauses()).toEqual([]);
    emulator.setRateLimit(null);
  });

  it('counts the limit per account and lifts it at runtime', async () => {
    emulator = await restartWith({ rateLimit: { requestsPerSecond: 1 } });
    await emulator.addFile('/l.bin', Buffer.from('x'));
    expect((await metadata('/l.bin')).status).toBe(200);
    const limited = await metadata('/l.bin');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    emulator.setRateLimit(null);
    expect((await metadata('/l.bin')).status).toBe(200);
  });

  it('cuts the next downloads mid-body after the given bytes, then serves whole again', async () => {
    const bytes = randomBytes(200_000);
    await emulator.addFile('/cut.bin', bytes);
    emulator.resetMidStream({ afterBytes: 1000, times: 1 });
    const cut = await download('/cut.bin');
    expect(cut.status).toBe(200);
    await expect(cut.arrayBuffer()).rejects.toThrow();
    const whole = await download('/cut.bin');
    expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);
    await vi.waitFor(() => expect(emulator.requests()).toHaveLength(2));
    expect(emulator.requests()[0]).toMatchObject({ bytesSent: 1000, completed: false, status: 200 });
    expect(emulator.requests()[1]).toMatchObject({ bytesSent: 200_000, completed: true });
  });

  it('inverts one byte at the given body offset of the next downloads, keeping the length', async () => {
    const bytes = randomBytes(3 * 1024 * 1024);
    const file = await emulator.addFile('/rot.bin', bytes);
    const body = async (response: Response): Promise<Buffer> => Buffer.from(await response.arrayBuffer());
    const inverted = (expected: Buffer, at: number): Buffer => {
      const copy = Buffer.from(expected);
      copy[at] = (copy[at] ?? 0) ^ 0xff;
      return copy;
    };
    // Past the first 512 KiB chunk the emulator sends, so the offset is counted across chunks.
    emulator.corruptNextDownloads({ atByte: 1_000_000, times: 2 });
    // Too short to reach the byte: sent as stored, and it does not use the fault up.
    expect(
      (await body(await download('/rot.bin', { range: 'bytes=0-99' }))).equals(bytes.subarray(0, 100)),
    ).toBe(true);
    const ranged = await download('/rot.bin', { range: 'bytes=1048576-' });
    expect(ranged.status).toBe(206);
    expect((await body(ranged)).equals(inverted(bytes.subarray(1048576), 1_000_000))).toBe(true);
    expect((await body(await download('/rot.bin'))).equals(inverted(bytes, 1_000_000))).toBe(true);
    // Used up; the stored bytes (and so content_hash) never changed.
    const intact = await body(await download('/rot.bin'));
    expect(intact.equals(bytes)).toBe(true);
    expect(referenceContentHash(intact)).toBe(file.contentHash);

    emulator.corruptNextDownloads({ atByte: 0, times: 1 });
    emulator.corruptNextDownloads({ atByte: 0, times: 0 });
    expect((await body(await download('/rot.bin'))).equals(bytes)).toBe(true);
    expect(() => emulator.corruptNextDownloads({ atByte: -1, times: 1 })).toThrow(/atByte/);
  });

  it('throttles downloads to the given rate', async () => {
    const bytes = randomBytes(100_000);
    await emulator.addFile('/slow.bin', bytes);
    emulator.slowStream({ bytesPerSecond: 200_000 });
    const started = performance.now();
    const response = await download('/slow.bin');
    expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);
    // A lower bound only: a loaded machine can make it slower, never faster.
    expect(performance.now() - started).toBeGreaterThanOrEqual(400);
  });
});

async function restartWith(options: Parameters<typeof startDropboxEmulator>[0]): Promise<DropboxEmulator> {
  await emulator.close();
  const next = await startDropboxEmulator({ clock: () => now, ...options });
  token = next.issueAccessToken();
  return next;
}

describe('Dropbox emulator: current account', () => {
  it("names the token's owner: one account_id for all of an account's tokens", async () => {
    const accountId = async (bearer: string) => {
      const response = await fetch(`${emulator.apiUrl}/2/users/get_current_account`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}` },
      });
      expect(response.status).toBe(200);
      return ((await response.json()) as { account_id: string }).account_id;
    };
    const first = await accountId(token);
    expect(first).toMatch(/^dbid:/);
    expect(await accountId(emulator.issueAccessToken())).toBe(first);
    expect(await accountId(emulator.issueAccessToken({ account: 'someone-else' }))).not.toBe(first);
  });
});
