import { Aws, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';

/**
 * The API's S3 calls for jobs (services/api/src/jobs/): on JOBS_BUCKET it streams manifests and
 * reports in (PutObject covers the multipart calls; AbortMultipartUpload an upload refused midway),
 * reads them back by range (GetObject, which covers HeadObject) and deletes the manifest copy of a
 * retried create (DeleteObject).
 */
export const JOBS_BUCKET_OBJECT_ACTIONS = [
  's3:PutObject',
  's3:GetObject',
  's3:DeleteObject',
  's3:AbortMultipartUpload',
];

/** On JOB_MANIFEST_BUCKETS the API only reads a manifest a job names (HeadObject, ranged GETs). */
export const MANIFEST_BUCKET_OBJECT_ACTIONS = ['s3:GetObject'];

/** The ARN of a bucket the stack does not own, named by the operator. */
export function bucketArn(name: string): string {
  return `arn:${Aws.PARTITION}:s3:::${name}`;
}

export function grantJobsAccess(
  role: iam.IRole,
  jobsBucket: s3.Bucket,
  manifestBuckets: readonly string[],
): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: JOBS_BUCKET_OBJECT_ACTIONS,
      resources: [jobsBucket.arnForObjects('*')],
    }),
  );
  const logicalId = Stack.of(jobsBucket).getLogicalId(jobsBucket.node.defaultChild as s3.CfnBucket);
  Validations.of(role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>/*]`,
    reason: "Each job's manifest and report have keys of their own under jobs/<id>/, made at run time",
  });
  if (manifestBuckets.length === 0) return;
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: MANIFEST_BUCKET_OBJECT_ACTIONS,
      resources: manifestBuckets.map((name) => `${bucketArn(name)}/*`),
    }),
  );
  for (const name of manifestBuckets) {
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${name}/*]`,
      reason: `A job may name any manifest object in ${name}, one of JOB_MANIFEST_BUCKETS, and read nothing else there`,
    });
  }
}
