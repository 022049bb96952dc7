import { startS3Server } from './workspace.ts';

/**
 * The embedded S3 server (fauxqs, disk-backed, what `ferry up` and the tests use) as its own
 * process, so its CPU, which dominates any transfer into it, is not counted as the worker's.
 *
 * Usage: node bench/fauxqs-sink.ts <storage directory> <bucket>. Prints its endpoint as the first
 * line of stdout; removes the storage directory when stopped.
 */
const [dir, bucket] = process.argv.slice(2);
if (!dir || !bucket) {
  console.error('usage: node bench/fauxqs-sink.ts <storage directory> <bucket>');
  process.exit(2);
}

const server = await startS3Server({ dir, removeOnClose: true });
server.createBucket(bucket);
process.stdout.write(`${server.endpoint}\n`);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => server.close().finally(() => process.exit(0)));
}
