import { S3Client } from '@aws-sdk/client-s3';
import { createS3Client, type Logger, type S3Settings } from '@ferry/shared';
import { type AssumedRole, AssumedRoles, type StsSettings } from './assumed-role.ts';

/**
 * S3 clients by region, for S3 sources in another region than the worker's: the worker's own
 * client serves its region, others are made on first use and kept (one connection pool each).
 * A source read as an assumed role gets a client of its own with the role's credentials.
 */
export class RegionalS3Clients {
  readonly #settings: S3Settings;
  readonly #logger: Logger;
  readonly #clients = new Map<string, S3Client>();
  readonly #roles: AssumedRoles;

  constructor(home: S3Client, settings: S3Settings & StsSettings, logger: Logger) {
    this.#settings = settings;
    this.#logger = logger;
    this.#clients.set(settings.S3_REGION, home);
    this.#roles = new AssumedRoles(settings);
  }

  forRegion(region: string | undefined, role?: AssumedRole): S3Client {
    const wanted = region ?? this.#settings.S3_REGION;
    let client = this.#clients.get(wanted);
    if (!client) {
      client = createS3Client({ ...this.#settings, S3_REGION: wanted }, this.#logger);
      this.#clients.set(wanted, client);
    }
    if (!role) return client;
    // Sends through the region's connection pool, so it holds nothing of its own to close (and
    // must not be destroyed: that would close the pool).
    return new S3Client({
      region: wanted,
      ...(this.#settings.S3_ENDPOINT ? { endpoint: this.#settings.S3_ENDPOINT } : {}),
      forcePathStyle: this.#settings.S3_FORCE_PATH_STYLE,
      credentials: this.#roles.credentials(role, wanted),
      requestHandler: client.config.requestHandler,
      logger: client.config.logger,
    });
  }

  destroy(): void {
    for (const client of this.#clients.values()) client.destroy();
    this.#roles.destroy();
  }
}
