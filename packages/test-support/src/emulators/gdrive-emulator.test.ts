import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type GdriveEmulator, startGdriveEmulator } from './gdrive-emulator.ts';

const DOC = 'application/vnd.google-apps.document';
const PDF = 'application/pdf';

let now: number;
let emulator: GdriveEmulator;
let token: string;

beforeEach(async () => {
  now = Date.parse('2030-01-01T00:00:00Z');
  emulator = await startGdriveEmulator({ clock: () => now });
  token = emulator.issueAccessToken();
});

afterEach(async () => {
  await emulator.close();
});

function get(path: string, headers: Record<string, string> = {}, bearer = token): Promise<Response> {
  return fetch(`${emulator.apiUrl}/drive/v3/files/${path}`, {
    headers: { authorization: `Bearer ${bearer}`, ...headers },
  });
}

function md5(bytes: Buffer): string {
  return createHash('md5').update(bytes).digest('hex');
}

describe('Google Drive emulator: metadata', () => {
  it('answers the requested fields, size as a string and the real MD5', async () => {
    const bytes = randomBytes(50_000);
    const added = await emulator.addFile(bytes, { name: 'movie.mp4', mimeType: 'video/mp4' });
    expect(added).toMatchObject({ size: 50_000, md5: md5(bytes) });

    const response = await get(
      `${added.id}?fields=id,name,mimeType,size,md5Checksum,headRevisionId&supportsAllDrives=true`,
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      id: added.id,
      name: 'movie.mp4',
      mimeType: 'video/mp4',
      size: '50000',
      md5Checksum: md5(bytes),
      headRevisionId: added.headRevisionId,
    });
    expect(await (await get(`${added.id}?fields=id,size`)).json()).toEqual({ id: added.id, size: '50000' });
    expect(await (await get(added.id)).json()).toMatchObject({
      kind: 'drive#file',
      size: '50000',
      md5Checksum: md5(bytes),
      modifiedTime: '2030-01-01T00:00:00.000Z',
    });
  });

  it('answers Google-shaped errors: 404 notFound (also for another account) and 400 for an unknown field', async () => {
    const missing = await get('nope?fields=id');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: {
        code: 404,
        message: 'File not found: nope.',
        errors: [
          {
            domain: 'global',
            reason: 'notFound',
            message: 'File not found: nope.',
            location: 'fileId',
            locationType: 'parameter',
          },
        ],
        status: 'NOT_FOUND',
      },
    });
    const theirs = await emulator.addFile(Buffer.from('x'), { account: 'alice' });
    expect((await get(theirs.id)).status).toBe(404);
    expect((await get(theirs.id, {}, emulator.issueAccessToken({ account: 'alice' }))).status).toBe(200);
    const badField = await get(
      `${theirs.id}?fields=id,bogus`,
      {},
      emulator.issueAccessToken({ account: 'alice' }),
    );
    expect(badField.status).toBe(400);
    expect(await badField.json()).toMatchObject({ error: { errors: [{ reason: 'invalidParameter' }] } });
  });
});

describe('Google Drive emulator: media', () => {
  it('serves the bytes whole and by range, 416 past the end', async () => {
    const bytes = randomBytes(10_000);
    const { id } = await emulator.addFile(bytes, { mimeType: 'video/mp4' });
    const whole = await get(`${id}?alt=media`);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('video/mp4');
    expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);

    const part = await get(`${id}?alt=media`, { range: 'bytes=5000-5999' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 5000-5999/10000');
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(5000, 6000))).toBe(true);
    expect((await get(`${id}?alt=media`, { range: 'bytes=10000-' })).status).toBe(416);
  });

  it('streams a file from disk and changes headRevisionId and md5 on replace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-gdrive-emu-'));
    try {
      const bytes = randomBytes(3 * 1024 * 1024);
      const file = join(dir, 'a.bin');
      writeFileSync(file, bytes);
      const added = await emulator.addFile({ file });
      expect(added).toMatchObject({ size: bytes.length, md5: md5(bytes) });
      const part = await get(`${added.id}?alt=media`, { range: 'bytes=1000000-1000099' });
      expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(1_000_000, 1_000_100))).toBe(true);

      const replaced = await emulator.replaceFile(added.id, Buffer.from('new'));
      expect(replaced).toMatchObject({ id: added.id, size: 3, md5: md5(Buffer.from('new')) });
      expect(replaced.headRevisionId).not.toBe(added.headRevisionId);
      expect(await (await get(`${added.id}?alt=media`)).text()).toBe('new');
      expect(await (await get(`${added.id}?fields=headRevisionId`)).json()).toEqual({
        headRevisionId: replaced.headRevisionId,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses abusive files without acknowledgeAbuse=true', async () => {
    const { id } = await emulator.addFile(Buffer.from('payload'), { abusive: true });
    const refused = await get(`${id}?alt=media`);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({
      error: { errors: [{ reason: 'cannotDownloadAbusiveFile' }] },
    });
    expect(await (await get(`${id}?alt=media&acknowledgeAbuse=true`)).text()).toBe('payload');
  });

  it('cuts the next download mid-body', async () => {
    const bytes = randomBytes(100_000);
    const { id } = await emulator.addFile(bytes);
    emulator.resetMidStream({ afterBytes: 0, times: 1 });
    await expect(get(`${id}?alt=media`).then((response) => response.arrayBuffer())).rejects.toThrow();
    emulator.resetMidStream({ afterBytes: 4096, times: 1 });
    const cut = await get(`${id}?alt=media`);
    await expect(cut.arrayBuffer()).rejects.toThrow();
    expect(Buffer.from(await (await get(`${id}?alt=media`)).arrayBuffer()).equals(bytes)).toBe(true);
    await vi.waitFor(() => expect(emulator.requests()).toHaveLength(3));
    expect(emulator.requests().map((entry) => entry.bytesSent)).toEqual([0, 4096, 100_000]);
  });

  it('inverts one byte of the next download, throttled or not, and leaves md5Checksum true to the file', async () => {
    const bytes = randomBytes(100_000);
    const file = await emulator.addFile(bytes);
    emulator.slowStream({ bytesPerSecond: 2_000_000 });
    emulator.corruptNextDownloads({ atByte: 99_999, times: 1 });
    const corrupted = Buffer.from(await (await get(`${file.id}?alt=media`)).arrayBuffer());
    expect(corrupted.length).toBe(bytes.length);
    expect(corrupted.subarray(0, 99_999).equals(bytes.subarray(0, 99_999))).toBe(true);
    expect(corrupted[99_999]).toBe((bytes[99_999] ?? 0) ^ 0xff);
    expect(md5(corrupted)).not.toBe(file.md5);
    emulator.slowStream(null);
    expect(md5(Buffer.from(await (await get(`${file.id}?alt=media`)).arrayBuffer()))).toBe(file.md5);
  });
});

describe('Google Drive emulator: Workspace documents', () => {
  it('has no size or md5, refuses alt=media and exports the registered types only', async () => {
    const pdf = randomBytes(20_000);
    const { id } = emulator.addWorkspaceDocument({ mimeType: DOC, exports: { [PDF]: pdf }, name: 'Notes' });
    expect(await (await get(`${id}?fields=id,name,mimeType,size,md5Checksum,headRevisionId`)).json()).toEqual(
      {
        id,
        name: 'Notes',
        mimeType: DOC,
      },
    );

    const media = await get(`${id}?alt=media`);
    expect(media.status).toBe(403);
    expect(await media.json()).toMatchObject({ error: { errors: [{ reason: 'fileNotDownloadable' }] } });

    const exported = await get(`${id}/export?mimeType=${encodeURIComponent(PDF)}`, { range: 'bytes=0-9' });
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-type')).toBe(PDF);
    expect(exported.headers.get('content-length')).toBeNull();
    expect(Buffer.from(await exported.arrayBuffer()).equals(pdf)).toBe(true);

    const unsupported = await get(`${id}/export?mimeType=text/csv`);
    expect(unsupported.status).toBe(400);
    expect(await unsupported.json()).toMatchObject({
      error: { code: 400, errors: [{ reason: 'badRequest' }] },
    });

    const binary = await emulator.addFile(Buffer.from('x'));
    expect((await get(`${binary.id}/export?mimeType=${encodeURIComponent(PDF)}`)).status).toBe(403);
  });
});

describe('Google Drive emulator: tokens', () => {
  it('answers 401 authError for invalid, expired and revoked tokens; refreshing mints a working one', async () => {
    const { id } = await emulator.addFile(Buffer.from('x'));
    const invalid = await get(id, {}, 'ya29.nope');
    expect(invalid.status).toBe(401);
    expect(await invalid.json()).toMatchObject({
      error: { code: 401, errors: [{ reason: 'authError', domain: 'global' }], status: 'UNAUTHENTICATED' },
    });
    const shortLived = emulator.issueAccessToken({ expiresInS: 3599 });
    expect((await get(id, {}, shortLived)).status).toBe(200);
    now += 3_600_000;
    expect(await (await get(id, {}, shortLived)).json()).toMatchObject({
      error: { errors: [{ reason: 'authError' }] },
    });

    const refreshToken = emulator.issueRefreshToken({ clientId: 'client', clientSecret: 'secret' });
    const form = {
      grant_type: 'refresh_token',
      client_id: 'client',
      client_secret: 'secret',
      refresh_token: refreshToken,
    };
    const minted = await fetch(emulator.tokenUrl, { method: 'POST', body: new URLSearchParams(form) });
    expect(minted.status).toBe(200);
    const body = (await minted.json()) as { access_token: string };
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3599 });
    expect((await get(id, {}, body.access_token)).status).toBe(200);
    emulator.revokeToken(body.access_token);
    expect((await get(id, {}, body.access_token)).status).toBe(401);

    const wrongSecret = await fetch(emulator.tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({ ...form, client_secret: 'other' }),
    });
    expect(wrongSecret.status).toBe(400);
    expect(await wrongSecret.json()).toMatchObject({ error: 'invalid_grant' });
    emulator.revokeToken(refreshToken);
    const revoked = await fetch(emulator.tokenUrl, { method: 'POST', body: new URLSearchParams(form) });
    expect(await revoked.json()).toMatchObject({ error: 'invalid_grant' });
  });
});

describe('Google Drive emulator: rate limit', () => {
  it('alternates 403 userRateLimitExceeded and 429 rateLimitExceeded, without Retry-After unless asked', async () => {
    const { id } = await emulator.addFile(Buffer.from('x'));
    emulator.setRateLimit({ requestsPerSecond: 1 });
    expect((await get(id)).status).toBe(200);
    const first = await get(id);
    expect(first.status).toBe(403);
    expect(first.headers.get('retry-after')).toBeNull();
    expect(await first.json()).toMatchObject({
      error: { code: 403, errors: [{ domain: 'usageLimits', reason: 'userRateLimitExceeded' }] },
    });
    const second = await get(`${id}?alt=media`);
    expect(second.status).toBe(429);
    expect(await second.json()).toMatchObject({
      error: { code: 429, errors: [{ domain: 'usageLimits', reason: 'rateLimitExceeded' }] },
    });
    now += 1000;
    expect((await get(id)).status).toBe(200);

    await vi.waitFor(() => expect(emulator.requests()).toHaveLength(4));
    const from = Date.parse('2030-01-01T00:00:00Z');
    expect(emulator.pauses()).toEqual([{ account: 'default', from, until: from + 1000, window: [from] }]);
    // Both refusals arrived at the very instant of the pause: within any grace.
    expect(emulator.requestsDuringPauses({ graceMs: 0 })).toEqual([]);
    expect(emulator.stats()).toMatchObject({ requests: 4, rateLimited: 2 });
  });

  it('sends Retry-After when retryAfterS is set, and answers only 429 when asked to', async () => {
    emulator.setRateLimit({ requestsPerSecond: 1, retryAfterS: 2, answer: 429 });
    const { id } = await emulator.addFile(Buffer.from('x'));
    await get(id);
    const limited = await get(id);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    now += 1500;
    const late = await get(id);
    expect(late.status).toBe(429);
    expect(late.headers.get('retry-after')).toBe('1');
    await vi.waitFor(() => expect(emulator.requestsDuringPauses({ graceMs: 1000 })).toHaveLength(1));
  });
});

describe('Google Drive emulator: about', () => {
  it("names the token's owner: one permission id for all of an account's tokens", async () => {
    const about = async (bearer: string) => {
      const response = await fetch(`${emulator.apiUrl}/drive/v3/about?fields=user(permissionId)`, {
        headers: { authorization: `Bearer ${bearer}` },
      });
      expect(response.status).toBe(200);
      return ((await response.json()) as { user: { permissionId: string } }).user.permissionId;
    };
    const first = await about(token);
    expect(await about(emulator.issueAccessToken())).toBe(first);
    expect(await about(emulator.issueAccessToken({ account: 'someone-else' }))).not.toBe(first);
  });
});
