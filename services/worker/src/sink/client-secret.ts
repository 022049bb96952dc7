import type { S3Client } from '@aws-sdk/client-s3';

/**
 * The secret key the client signs with, for the access key a signed request names: what chunk
 * signatures are keyed with. Read from the client's own credential provider (cached by the SDK), so
 * rotated or assumed credentials follow; never logged.
 */
export function clientSecret(s3: S3Client): (accessKeyId: string) => Promise<string> {
  return async (accessKeyId) => {
    const credentials = await s3.config.credentials();
    if (credentials.accessKeyId !== accessKeyId) {
      throw new Error('the request was signed with other credentials than the client now holds');
    }
    return credentials.secretAccessKey;
  };
}
