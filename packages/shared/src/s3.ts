import { Agent as HttpAgent } from 'node:http';
import { Agent } from 'node:https';
import { S3Client } from '@aws-sdk/client-s3';

export interface S3Settings {
  S3_ENDPOINT?: string | undefined;
  S3_REGION: string;
  S3_FORCE_PATH_STYLE: boolean;
}

/**
 * One S3 client per process. Keep-alive sockets with a generous cap: a worker runs several jobs with
 * several parts in flight each, and the SDK's default of 50 sockets would queue them silently.
 */
export function createS3Client(settings: S3Settings, maxSockets = 256): S3Client {
  return new S3Client({
    region: settings.S3_REGION,
    ...(settings.S3_ENDPOINT ? { endpoint: settings.S3_ENDPOINT } : {}),
    forcePathStyle: settings.S3_FORCE_PATH_STYLE,
    requestHandler: {
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
      httpsAgent: new Agent({ keepAlive: true, maxSockets }),
    },
  });
}
