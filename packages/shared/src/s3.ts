import { S3Client } from '@aws-sdk/client-s3';
import type { Logger } from './logger.ts';

// Not `import ... from 'node:http'`: the ESM view of node:http reads every export, and three of them
// (WebSocket, CloseEvent, MessageEvent) load Node's bundled undici, 8 MiB of heap nothing here uses.
const { Agent: HttpAgent } = process.getBuiltinModule('node:http');
const { Agent: HttpsAgent } = process.getBuiltinModule('node:https');

export interface S3Settings {
  S3_ENDPOINT?: string | undefined;
  S3_REGION: string;
  S3_FORCE_PATH_STYLE: boolean;
  AWS_ACCESS_KEY_ID?: string | undefined;
  AWS_SECRET_ACCESS_KEY?: string | undefined;
  AWS_SESSION_TOKEN?: string | undefined;
}

/**
 * An S3 client for a long-running service: keep-alive sockets with a cap well above
 * WORKER_CONCURRENCY x PART_CONCURRENCY (the SDK's default of 50 would queue parts silently),
 * credentials taken from
 * the environment object it was started with (the CLI and tests start workers in-process with an
 * env that is not process.env; without them the SDK's own chain applies), and an idle-socket timeout
 * so a hung UploadPart fails and is retried instead of holding a part forever.
 *
 * Checksums only where an operation requires one: the SDK's default (since 2025) wraps bodies in
 * aws-chunked framing with a CRC trailer, which many S3-compatible servers do not decode (Ceph RGW
 * before 19 refuses it, older emulators store the framing as the object's bytes). The worker sends
 * the checksums each endpoint verifies itself (S3_CHECKSUM_MODE).
 */
export function createS3Client(settings: S3Settings, logger: Logger, maxSockets = 256): S3Client {
  const explicit =
    settings.AWS_ACCESS_KEY_ID && settings.AWS_SECRET_ACCESS_KEY
      ? {
          credentials: {
            accessKeyId: settings.AWS_ACCESS_KEY_ID,
            secretAccessKey: settings.AWS_SECRET_ACCESS_KEY,
            ...(settings.AWS_SESSION_TOKEN ? { sessionToken: settings.AWS_SESSION_TOKEN } : {}),
          },
        }
      : {};
  return new S3Client({
    region: settings.S3_REGION,
    ...(settings.S3_ENDPOINT ? { endpoint: settings.S3_ENDPOINT } : {}),
    forcePathStyle: settings.S3_FORCE_PATH_STYLE,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...explicit,
    requestHandler: {
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
      requestTimeout: 120_000,
    },
    // The SDK logs every command at info and warns on each failed streaming part; the engine
    // reports failures itself, so keep the SDK's voice at debug.
    logger: {
      trace: () => {},
      debug: () => {},
      info: () => {},
      warn: (...content: unknown[]) =>
        logger.debug({ sdk: content.map(String).join(' ') }, 'aws sdk warning'),
      error: (...content: unknown[]) => logger.debug({ sdk: content.map(String).join(' ') }, 'aws sdk error'),
    },
  });
}
