import { S3Client } from '@aws-sdk/client-s3';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * An S3 client for the local stack's S3 servers (fauxqs, radosgw): path-style, and without the
 * checksum trailers (aws-chunked encoding) that the SDK sends by default, which radosgw 16 rejects.
 */
export function localS3Client(endpoint: string, credentials: S3Credentials): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    // A copy: the SDK writes its own bookkeeping into the credentials object it is given.
    credentials: { ...credentials },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
