import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface JobsBucketProps {
  logBucket: s3.IBucket;
}

/** JOBS_BUCKET: transfer jobs' uploaded manifests and reports (`jobs/<id>/…`), the API's alone. */
export class JobsBucket extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: JobsBucketProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Manifests and reports stream in as multipart uploads; an API killed mid-upload leaves its
      // parts, which nothing resumes.
      lifecycleRules: [{ abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      serverAccessLogsBucket: props.logBucket,
      serverAccessLogsPrefix: 's3-access/jobs/',
      // Reports are what a tenant keeps of a finished job.
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
