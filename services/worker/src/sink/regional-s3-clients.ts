import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client, type Logger, type S3Settings } from '@ferry/shared';

/**
 * S3 clients by region, for S3 sources in another region than the worker's: the worker's own
 * client serves its region, others are made on first use and kept (one connection pool each).
 */
export class RegionalS3Clients {
  readonly #settings: S3Settings;
  readonly #logger: Logger;
  readonly #clients = new Map<string, S3Client>();

  constructor(home: S3Client, settings: S3Settings, logger: Logger) {
    this.#settings = settings;
    this.#logger = logger;
    this.#clients.set(settings.S3_REGION, home);
  }

  forRegion(region: string | undefined): S3Client {
    const wanted = region ?? this.#settings.S3_REGION;
    let client = this.#clients.get(wanted);
    if (!client) {
      client = createS3Client({ ...this.#settings, S3_REGION: wanted }, this.#logger);
      this.#clients.set(wanted, client);
    }
    return client;
  }

  destroy(): void {
    for (const client of this.#clients.values()) client.destroy();
  }
}
