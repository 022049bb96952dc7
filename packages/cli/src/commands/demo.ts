import { createHash } from 'node:crypto';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { localS3Client } from '@ferry/local-stack';
import { ApiClient } from '../api-client.ts';
import type { LocalS3 } from '../stack/local-s3.ts';
import type { LocalS3Kind } from '../stack/local-s3-kind.ts';
import { startLocalStack } from '../stack/local-stack.ts';
import { watchImport } from '../watch-import.ts';

async function objectSha256(server: Omit<LocalS3, 'close'>, bucket: string, key: string): Promise<string> {
  const s3 = localS3Client(server.endpoint, server.credentials);
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const hash = createHash('sha256');
    for await (const chunk of response.Body as AsyncIterable<Uint8Array>) hash.update(chunk);
    return hash.digest('hex');
  } finally {
    s3.destroy();
  }
}

/**
 * `ferry demo`: the main job end to end on embedded defaults. Starts the local stack, imports a
 * sample file over HTTP into S3 through the API, shows progress, prints the result, checks the
 * object byte for byte (sha256) against the source, and stops everything.
 */
export async function demo(sizeMiB: number, s3: LocalS3Kind = 'fauxqs'): Promise<number> {
  const log = (line: string) => process.stderr.write(`ferry: ${line}\n`);
  log(`starting the local stack (Redis, S3 on ${s3}, API, 2 workers) and a ${sizeMiB} MiB sample source...`);
  const stack = await startLocalStack({ log, sampleSizeMiB: sizeMiB, s3 });
  try {
    const client = new ApiClient({ url: stack.apiUrl, key: stack.apiKey });
    const key = `demo/${stack.sample.name.replace('.bin', '')}-${Date.now()}.bin`;
    log(`importing ${stack.sampleUrl} -> s3://${stack.bucket}/${key}`);
    const started = Date.now();
    const { id } = await client.submit({
      source: { type: 'http', url: stack.sampleUrl },
      destination: { bucket: stack.bucket, key },
    });
    log(`import ${id} queued`);
    const view = await watchImport(client, id);
    const seconds = (Date.now() - started) / 1000;
    process.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
    if (view.status !== 'completed') {
      log(`import ended ${view.status}: ${view.error?.code ?? ''} ${view.error?.message ?? ''}`);
      return 1;
    }
    const sha256 = await objectSha256(stack.s3, stack.bucket, key);
    const match = sha256 === stack.sample.sha256;
    log(
      `${(stack.sample.size / 1048576).toFixed(0)} MiB in ${seconds.toFixed(1)}s (${(stack.sample.size / 1048576 / seconds).toFixed(0)} MiB/s into ${stack.s3.kind})`,
    );
    log(
      match
        ? `verified: the S3 object's sha256 equals the source's (${sha256})`
        : `MISMATCH: source ${stack.sample.sha256}, object ${sha256}`,
    );
    return match ? 0 : 1;
  } finally {
    log('stopping the local stack...');
    await stack.close();
  }
}
