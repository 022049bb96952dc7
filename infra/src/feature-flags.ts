/**
 * The CDK feature flags this app depends on, fixed here (the CLI's cdk.json would hold them) so an
 * aws-cdk-lib upgrade cannot change what an unchanged app synthesizes.
 */
export const FEATURE_FLAGS: Record<string, boolean> = {
  '@aws-cdk/aws-ecs:arnFormatIncludesClusterName': true,
  '@aws-cdk/aws-ecs:disableExplicitDeploymentControllerForCircuitBreaker': true,
  '@aws-cdk/aws-ecs:reduceEc2FargateCloudWatchPermissions': true,
  // Log delivery by bucket policy: the buckets enforce object ownership, which turns ACLs off.
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
  '@aws-cdk/aws-s3:createDefaultLoggingPolicy': true,
  '@aws-cdk/aws-ec2:uniqueImdsv2TemplateName': true,
  '@aws-cdk/aws-ec2:ebsDefaultGp3Volume': true,
};
