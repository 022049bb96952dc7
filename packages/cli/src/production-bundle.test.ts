import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type FileSourceHandle, freePort, startFileSource } from '@ferry/local-stack';
import {
  createTestBucket,
  newS3Client,
  type OtlpReceiver,
  objectSha256,
  randomFile,
  serviceEnv,
  startOtlpReceiver,
  uniqueName,
} from '@ferry/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './paths.ts';
import {
  developmentOnlyPackages,
  filesUnder,
  installedPackages,
  linksLeaving,
} from './testing/bundle-contents.ts';
import { type BundledService, startBundledService } from './testing/bundled-service.ts';

const MIB = 1024 * 1024;
const KEY = 'ak_bundle_5e2b8c71d9f04a36';
/** Several parts: the bundled worker runs a real multipart transfer. */
const FILE_SIZE = 20 * MIB;

describe('the production bundle (scripts/bundle.sh, what infra/Dockerfile runs)', () => {
  // Outside the repository, so nothing it loads can fall back on the workspace's node_modules.
  const bundle = mkdtempSync(join(tmpdir(), 'ferry-bundle-'));
  const services: BundledService[] = [];

  beforeAll(async () => {
    await promisify(execFile)('bash', [join(REPO_ROOT, 'scripts/bundle.sh'), bundle], {
      maxBuffer: 16 * MIB,
    });
  }, 120_000);

  afterAll(() => {
    for (const service of services) service.kill();
    rmSync(bundle, { recursive: true, force: true });
  });

  it('holds compiled JavaScript and production dependencies only, all inside it', () => {
    const installed = installedPackages(bundle);
    expect([...installed.keys()]).toEqual(
      expect.arrayContaining(['@ferry/api', '@ferry/worker', '@ferry/autoscaler', '@ferry/shared']),
    );
    const ferryPackages = [...installed.keys()].filter((name) => name.startsWith('@ferry/'));
    const devOnly = developmentOnlyPackages(['@ferry/cli', ...ferryPackages]);
    expect([...devOnly]).toEqual(
      expect.arrayContaining(['vitest', 'typescript', '@ferry/test-support', '@biomejs/biome']),
    );
    // fauxqs comes with @ferry/local-stack (`ferry up`), which stays in the checkout.
    expect([...installed.keys()].filter((name) => devOnly.has(name) || name === 'fauxqs')).toEqual([]);

    for (const name of ferryPackages) {
      const dir = installed.get(name) as string;
      // Its own dependencies' links aside: dist/ and its manifest, no sources.
      const own = readdirSync(dir).filter((entry) => entry !== 'node_modules');
      expect(own.sort(), name).toEqual(['dist', 'package.json']);
      expect(
        filesUnder(join(dir, 'dist'), (path) => !path.endsWith('.js')),
        name,
      ).toEqual([]);
    }
    expect(filesUnder(join(bundle, 'dist'), (path) => !path.endsWith('.js'))).toEqual([]);
    // A Docker COPY of the bundle must not break a link or reach back to this checkout.
    expect(linksLeaving(bundle)).toEqual([]);
  });

  it('runs the API and a worker: an import over the HTTP API lands byte-identical, traced', async () => {
    const file = randomFile(FILE_SIZE);
    let source: FileSourceHandle | undefined;
    let receiver: OtlpReceiver | undefined;
    const s3 = newS3Client();
    try {
      source = await startFileSource({ root: file.dir });
      // Tracing from the compiled code too: the SDK loads from the bundle and patches what it loads.
      receiver = await startOtlpReceiver();
      const bucket = await createTestBucket(s3, 'bundle');
      const env = serviceEnv(uniqueName('bundle'), {
        FERRY_API_KEYS: `${KEY}:tenant-bundle`,
        // At least info: the worker's readiness is read from its log.
        LOG_LEVEL: 'info',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      });
      const port = await freePort();
      const apiUrl = `http://127.0.0.1:${port}`;
      const api = startBundledService(bundle, 'api', { ...env, PORT: String(port), HOST: '127.0.0.1' });
      const worker = startBundledService(bundle, 'worker', env);
      services.push(api, worker);
      await Promise.all([
        api.until(
          () =>
            fetch(`${apiUrl}/readyz`).then(
              (r) => r.ok,
              () => false,
            ),
          30_000,
        ),
        worker.until((output) => output.includes('"msg":"worker ready"'), 30_000),
      ]);

      const call = async (method: string, path: string, body?: unknown) => {
        const response = await fetch(`${apiUrl}${path}`, {
          method,
          headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        return { status: response.status, body: (await response.json()) as { id: string; status: string } };
      };
      const submitted = await call('POST', '/v1/imports', {
        source: { type: 'http', url: `${source.url}/${file.name}` },
        destination: { bucket, key: 'from-bundle.bin' },
      });
      expect(submitted.status).toBe(202);
      await expect
        .poll(async () => (await call('GET', `/v1/imports/${submitted.body.id}`)).body.status, {
          timeout: 60_000,
          interval: 200,
        })
        .toBe('completed');
      expect(await objectSha256(s3, bucket, 'from-bundle.bin')).toEqual({
        sha256: file.sha256,
        size: FILE_SIZE,
      });

      // SIGTERM reaches the services' own shutdown in the compiled code too, which exports the spans.
      expect(await api.stop(), api.output()).toBe(0);
      expect(await worker.stop(), worker.output()).toBe(0);
      const spans = receiver.spans();
      const submit = spans.find((span) => span.name === 'ferry.import.submit');
      const attempt = spans.find((span) => span.name === 'ferry.import');
      expect(submit?.attributes['ferry.import.id']).toBe(submitted.body.id);
      expect(attempt).toMatchObject({
        traceId: submit?.traceId,
        attributes: { 'ferry.outcome': 'completed' },
      });
      expect(spans.some((span) => span.attributes['db.system.name'] === 'redis')).toBe(true);
    } finally {
      await receiver?.close();
      await source?.close();
      s3.destroy();
      rmSync(file.dir, { recursive: true, force: true });
    }
  }, 90_000);

  it('says that up needs a checkout of the repository: the local stack is left out', async () => {
    const up = startBundledService(bundle, 'up', {});
    services.push(up);
    expect(await up.exited).toBe(1);
    expect(up.output()).toContain('up and demo run from a checkout of the repository');
  });
});
