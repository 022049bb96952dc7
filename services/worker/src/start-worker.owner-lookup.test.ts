import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type DropboxEmulator, objectSha256, startDropboxEmulator } from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from './testing/harness.ts';

const MIB = 1024 * 1024;
const LOOKUP = '/2/users/get_current_account';

/** In front of the emulator's API: the first owner lookup answers 503, everything else passes. */
async function failFirstLookup(
  upstream: string,
): Promise<{ url: string; lookups: () => number; close(): Promise<void> }> {
  let lookups = 0;
  const target = new URL(upstream);
  const server: Server = createServer((req, res) => {
    if (req.url === LOOKUP && lookups++ === 0) {
      req.resume();
      return void res.writeHead(503, { 'content-type': 'text/plain' }).end('try again');
    }
    const forward = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    lookups: () => lookups,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * A Dropbox owner lookup that fails for now must not leave the worker limiting the account under the
 * token's own key while the rest of the fleet uses the owner's: that splits one account's limit in two.
 */
describe('an owner lookup that fails for now', () => {
  let harness: Harness;
  let dropbox: DropboxEmulator;
  let proxy: Awaited<ReturnType<typeof failFirstLookup>>;

  beforeAll(async () => {
    harness = await Harness.create();
    dropbox = await startDropboxEmulator();
    proxy = await failFirstLookup(dropbox.apiUrl);
  });
  afterAll(async () => {
    await harness?.close();
    await proxy?.close();
    await dropbox?.close();
  });

  it('is tried again, and the import is limited under the owner’s key', async () => {
    const bytes = Buffer.alloc(6 * MIB, 7);
    await dropbox.addFile('/owner/lookup.bin', bytes);
    await harness.startWorker({
      DROPBOX_API_URL: proxy.url,
      DROPBOX_CONTENT_URL: dropbox.contentUrl,
      PART_SIZE_MIB: '5',
    });
    const id = await harness.submit(
      {
        type: 'dropbox',
        path: '/owner/lookup.bin',
        credentials: { accessToken: dropbox.issueAccessToken() },
      },
      'owner-lookup.bin',
    );
    const record = await harness.waitForStatus(id, ['completed', 'failed'], 60_000);
    expect(record.error).toBeUndefined();
    expect(record.status).toBe('completed');
    expect((await objectSha256(harness.s3, harness.bucket, 'owner-lookup.bin')).size).toBe(6 * MIB);
    expect(proxy.lookups()).toBe(2);
    // The fleet knows the owner, and the account's requests went through the owner's limiter.
    const prefix = harness.store.keys.prefix;
    expect(await harness.redis.keys(`${prefix}*owner:dropbox:*`)).toHaveLength(1);
    expect((await harness.redis.keys(`*rate:dropbox:user:*`)).length).toBeGreaterThan(0);
  });
});
