import { setTimeout as delay } from 'node:timers/promises';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { localS3Client, type S3Credentials } from '../local-s3-client.ts';

const POLL_MS = 100;
const REQUEST_TIMEOUT_MS = 2_000;

async function pollUntil(what: string, deadline: number, check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await delay(POLL_MS);
  }
}

/** Until radosgw has finished its initialisation and listens: it opens its port last. */
export function waitForAnonymousS3(endpoint: string, deadline: number): Promise<void> {
  return pollUntil(`radosgw answers at ${endpoint}`, deadline, async () => {
    try {
      const response = await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      await response.arrayBuffer();
      // Anonymous ListBuckets: an empty ListAllMyBucketsResult, or 403 where anonymous access is off.
      return response.status === 200 || response.status === 403;
    } catch {
      return false;
    }
  });
}

/** Until radosgw accepts requests signed with `credentials`, i.e. it sees the user just created. */
export async function waitForSignedS3(
  endpoint: string,
  credentials: S3Credentials,
  deadline: number,
): Promise<void> {
  const client = localS3Client(endpoint, credentials);
  try {
    await pollUntil(`radosgw at ${endpoint} accepts signed requests`, deadline, async () => {
      try {
        await client.send(new ListBucketsCommand({}), {
          abortSignal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        return true;
      } catch {
        return false;
      }
    });
  } finally {
    client.destroy();
  }
}
