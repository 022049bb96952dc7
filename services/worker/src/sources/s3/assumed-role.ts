import { AssumeRoleCommand, type AssumeRoleCommandOutput, STSClient } from '@aws-sdk/client-sts';
import { ErrorCode, type S3Source } from '@ferry/shared';
import { permanentError, type TransferError, transientError } from '../../errors/transfer-error.ts';

/** An IAM role an S3 source is read as. */
export interface AssumedRole {
  roleArn: string;
  /** The trust policy's sts:ExternalId. Secret: never logged, never in an error message. */
  externalId?: string;
  /** Names the session in the source account's CloudTrail. */
  sessionName: string;
}

export interface TemporaryCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

export interface StsSettings {
  STS_ENDPOINT?: string | undefined;
  AWS_ACCESS_KEY_ID?: string | undefined;
  AWS_SECRET_ACCESS_KEY?: string | undefined;
  AWS_SESSION_TOKEN?: string | undefined;
}

/** Allowed for every role (MaxSessionDuration is at least an hour), and the cap for role chaining. */
const SESSION_SECONDS = 3600;
/** Replaced this long before its end; the S3 client asks again once less than 5 minutes are left. */
const REFRESH_BEFORE_MS = 10 * 60_000;
/** STS answers throttling with a 400, and an expired session of the worker's own is renewed by its chain. */
const RETRYABLE_NAMES = new Set([
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'ExpiredTokenException',
]);

/** The role an S3 source names, sessions named after the import; undefined to read as the worker. */
export function sourceRole(spec: S3Source, importId: string): AssumedRole | undefined {
  if (!spec.roleArn) return undefined;
  return {
    roleArn: spec.roleArn,
    ...(spec.externalId ? { externalId: spec.externalId } : {}),
    // STS takes up to 64 characters of [\w+=,.@-]; an import id is 30 of them.
    sessionName: `ferry-${importId}`.slice(0, 64),
  };
}

/**
 * Temporary credentials for the roles S3 sources name: STS AssumeRole, signed with the worker's own
 * credentials, at STS_ENDPOINT or AWS's endpoint for the source's region. One STS client per region,
 * kept until destroy().
 */
export class AssumedRoles {
  readonly #settings: StsSettings;
  readonly #now: () => number;
  readonly #clients = new Map<string, STSClient>();

  constructor(settings: StsSettings, now: () => number = Date.now) {
    this.#settings = settings;
    this.#now = now;
  }

  /**
   * A credentials provider for an S3 client reading as `role`: the first call assumes it, later calls
   * share that session until it nears its end, concurrent calls one request. STS failures are
   * TransferErrors naming the role.
   */
  credentials(role: AssumedRole, region: string): () => Promise<TemporaryCredentials> {
    let current: TemporaryCredentials | null = null;
    let pending: Promise<TemporaryCredentials> | null = null;
    return () => {
      if (current && current.expiration.getTime() - this.#now() > REFRESH_BEFORE_MS) {
        return Promise.resolve(current);
      }
      pending ??= this.#assume(role, region).then(
        (fresh) => {
          current = fresh;
          pending = null;
          return fresh;
        },
        (error: unknown) => {
          pending = null;
          throw error;
        },
      );
      return pending;
    };
  }

  destroy(): void {
    for (const client of this.#clients.values()) client.destroy();
    this.#clients.clear();
  }

  async #assume(role: AssumedRole, region: string): Promise<TemporaryCredentials> {
    let answer: AssumeRoleCommandOutput;
    try {
      answer = await this.#client(region).send(
        new AssumeRoleCommand({
          RoleArn: role.roleArn,
          RoleSessionName: role.sessionName,
          DurationSeconds: SESSION_SECONDS,
          ...(role.externalId ? { ExternalId: role.externalId } : {}),
        }),
      );
    } catch (error) {
      throw assumeRoleError(error, role.roleArn);
    }
    const credentials = answer.Credentials;
    if (
      !credentials?.AccessKeyId ||
      !credentials.SecretAccessKey ||
      !credentials.SessionToken ||
      !credentials.Expiration
    ) {
      throw transientError(ErrorCode.SOURCE_SERVER_ERROR, `STS sent no credentials for role ${role.roleArn}`);
    }
    return {
      accessKeyId: credentials.AccessKeyId,
      secretAccessKey: credentials.SecretAccessKey,
      sessionToken: credentials.SessionToken,
      expiration: credentials.Expiration,
    };
  }

  #client(region: string): STSClient {
    let client = this.#clients.get(region);
    if (!client) {
      const settings = this.#settings;
      client = new STSClient({
        region,
        ...(settings.STS_ENDPOINT ? { endpoint: settings.STS_ENDPOINT } : {}),
        // Explicit when the worker was started with an env object of its own; else the SDK's chain.
        ...(settings.AWS_ACCESS_KEY_ID && settings.AWS_SECRET_ACCESS_KEY
          ? {
              credentials: {
                accessKeyId: settings.AWS_ACCESS_KEY_ID,
                secretAccessKey: settings.AWS_SECRET_ACCESS_KEY,
                ...(settings.AWS_SESSION_TOKEN ? { sessionToken: settings.AWS_SESSION_TOKEN } : {}),
              },
            }
          : {}),
        // Credentials are resolved outside the S3 request's abort signal: a hung STS must time out.
        requestHandler: { connectionTimeout: 10_000, requestTimeout: 30_000 },
      });
      this.#clients.set(region, client);
    }
    return client;
  }
}

/**
 * A refused AssumeRole fails the import (the role's trust policy, or the externalId, does not let
 * this worker in); throttling, STS's own failures and an unreachable STS are worth another try.
 * Neither STS's message (a validation error may quote the values sent) nor the cause is kept.
 */
function assumeRoleError(error: unknown, roleArn: string): TransferError {
  const shape = (error ?? {}) as { name?: string; code?: unknown; $metadata?: { httpStatusCode?: number } };
  const status = shape.$metadata?.httpStatusCode;
  const name = shape.name ?? 'Error';
  if (status === undefined) {
    const detail = typeof shape.code === 'string' ? shape.code : name;
    return transientError(
      ErrorCode.SOURCE_NETWORK_ERROR,
      `STS could not be reached to assume role ${roleArn}: ${detail}`,
    );
  }
  const message = `STS answered ${status} (${name}) to AssumeRole of ${roleArn}`;
  if (RETRYABLE_NAMES.has(name) || status >= 500 || status === 429) {
    return transientError(ErrorCode.SOURCE_SERVER_ERROR, message);
  }
  return permanentError(
    ErrorCode.SOURCE_ACCESS_DENIED,
    `${message}: the role's trust policy must let this worker assume it (with the externalId given, if it asks for one)`,
  );
}
