import { createReadStream } from 'node:fs';
import { extname } from 'node:path';
import type { ApiClient } from '../api-client.ts';
import { watchJob } from '../watch-job.ts';

const CONTENT_TYPES: Record<string, string> = {
  '.csv': 'text/csv',
  '.tsv': 'text/tab-separated-values',
  '.ndjson': 'application/x-ndjson',
  '.jsonl': 'application/x-ndjson',
};

/** The upload's Content-Type, from the file's extension; undefined for any other. */
export function manifestContentType(path: string): string | undefined {
  return CONTENT_TYPES[extname(path).toLowerCase()];
}

/**
 * `ferry import --manifest file.csv [--bucket B] [--key-template T] [--overwrite P] [--wait]`: one job
 * for the file's rows. The API checks the policy's name, as it checks every other option.
 */
export async function manifestImportCommand(
  client: ApiClient,
  path: string,
  contentType: string,
  options: {
    bucket?: string | undefined;
    keyTemplate?: string | undefined;
    overwrite?: string | undefined;
    wait: boolean;
  },
): Promise<number> {
  const { id, status } = await client.createJob(createReadStream(path), contentType, {
    bucket: options.bucket,
    keyTemplate: options.keyTemplate,
    overwrite: options.overwrite,
  });
  process.stdout.write(`${id} ${status}\n`);
  if (!options.wait) return 0;
  const view = await watchJob(client, id);
  const { files } = view.progress;
  const report = view.report ? `; report s3://${view.report.bucket}/${view.report.key}` : '';
  process.stdout.write(
    `${view.status}: ${files.done} done, ${files.failed} failed, ${files.skipped} skipped${report}\n`,
  );
  return view.status === 'completed' && files.failed === 0 ? 0 : 1;
}
