import { type ApiClient, ApiError } from '../api-client.ts';
import { formatBytes } from '../format.ts';
import { parseHeaderArguments, parseS3Url, parseSourceArgument } from '../source-argument.ts';
import { watchImport } from '../watch-import.ts';

/** `ferry import <source> s3://bucket/key [--wait] [--header "Name: value"]...` */
export async function importCommand(
  client: ApiClient,
  source: string,
  destination: string,
  wait: boolean,
  headers: string[],
): Promise<number> {
  const request = {
    source: parseSourceArgument(source, parseHeaderArguments(headers)),
    destination: parseS3Url(destination),
  };
  const { id, status } = await client.submit(request);
  process.stdout.write(`${id} ${status}\n`);
  if (!wait) return 0;
  const view = await watchImport(client, id);
  if (view.status === 'completed' && view.result) {
    process.stdout.write(
      `completed: ${formatBytes(view.result.size)}, ETag ${view.result.etag}, ${view.result.checksum}\n`,
    );
    return 0;
  }
  process.stdout.write(`${view.status}${view.error ? `: ${view.error.code} ${view.error.message}` : ''}\n`);
  return 1;
}

export async function statusCommand(client: ApiClient, id: string): Promise<number> {
  process.stdout.write(`${JSON.stringify(await client.get(id), null, 2)}\n`);
  return 0;
}

export async function listCommand(
  client: ApiClient,
  status: string | undefined,
  cursor: string | undefined,
): Promise<number> {
  const page = await client.list({ status, cursor });
  for (const item of page.items) {
    const total = item.progress.bytesTotal === null ? '?' : formatBytes(item.progress.bytesTotal);
    const destination = `s3://${item.destination.bucket}/${item.destination.key}`;
    process.stdout.write(
      `${item.id}  ${item.status.padEnd(9)}  ${formatBytes(item.progress.bytesDone)} / ${total}  ${destination}\n`,
    );
  }
  if (page.nextCursor) process.stdout.write(`more: ferry ls --cursor ${page.nextCursor}\n`);
  return 0;
}

export async function cancelCommand(client: ApiClient, id: string): Promise<number> {
  try {
    const { status } = await client.cancel(id);
    process.stdout.write(`${id} ${status}\n`);
    return 0;
  } catch (error) {
    if (error instanceof ApiError && error.code === 'IMPORT_FINISHED') {
      process.stdout.write(`${id} had already finished: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
