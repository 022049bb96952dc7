import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';

/**
 * Every S3 call the worker's sink makes (services/worker/src/sink/), on the destination buckets
 * and nothing else. s3:PutObject covers PutObject, CreateMultipartUpload, UploadPart, UploadPartCopy
 * (the destination side) and CompleteMultipartUpload; GetObject covers HeadObject, which verifies
 * a completed object; DeleteObject removes one that failed that check (and the endpoint probe's
 * object).
 */
export const DESTINATION_OBJECT_ACTIONS = [
  's3:PutObject',
  's3:GetObject',
  's3:DeleteObject',
  's3:AbortMultipartUpload',
  's3:ListMultipartUploadParts',
];

/**
 * Without it S3 answers HeadObject of a missing key with 403 instead of 404, and the worker's
 * check for an upload completed by an earlier attempt would fail rather than find nothing.
 */
export const DESTINATION_BUCKET_ACTIONS = ['s3:ListBucket'];

export function grantDestinationWrites(role: iam.IRole, buckets: s3.Bucket[]): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: DESTINATION_OBJECT_ACTIONS,
      resources: buckets.map((bucket) => bucket.arnForObjects('*')),
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: DESTINATION_BUCKET_ACTIONS,
      resources: buckets.map((bucket) => bucket.bucketArn),
    }),
  );
  for (const bucket of buckets) {
    const logicalId = Stack.of(bucket).getLogicalId(bucket.node.defaultChild as s3.CfnBucket);
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>/*]`,
      reason:
        'Import destinations are chosen per request: any key in a destination bucket, and no other bucket',
    });
  }
}
