import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface DestinationBucketsProps {
  /** Empty: one bucket named by CloudFormation. */
  names: string[];
  logBucket: s3.IBucket;
}

/** Where imports land: the only buckets the worker may write. */
export class DestinationBuckets extends Construct {
  readonly buckets: s3.Bucket[];

  constructor(scope: Construct, id: string, props: DestinationBucketsProps) {
    super(scope, id);
    const names = props.names.length > 0 ? props.names : [undefined];
    this.buckets = names.map(
      (bucketName, index) =>
        new s3.Bucket(this, `Bucket${index + 1}`, {
          bucketName,
          blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
          // SSE-S3 rather than KMS: an SSE-KMS object's ETag is not the MD5 of its parts, and the
          // worker's etag checksum mode relies on it where S3 keeps no CRC.
          encryption: s3.BucketEncryption.S3_MANAGED,
          enforceSSL: true,
          minimumTLSVersion: 1.2,
          objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
          // An import abandoned for good (its job failed or deleted) leaves a multipart upload whose
          // parts are billed until aborted; a week outlasts any retry that could still resume it.
          lifecycleRules: [{ abortIncompleteMultipartUploadAfter: Duration.days(7) }],
          serverAccessLogsBucket: props.logBucket,
          serverAccessLogsPrefix: `s3-access/${bucketName ?? `bucket${index + 1}`}/`,
          removalPolicy: RemovalPolicy.RETAIN,
        }),
    );
  }
}
