import { resolve } from 'node:path';
import { buildFerryApp } from './ferry-app.ts';
import { parseSynthArgs } from './synth-args.ts';

/**
 * `pnpm infra:synth [-c key=value]... [-o dir]`: CloudFormation for one Ferry deployment, written
 * offline (no AWS credentials, no CDK CLI) to infra/cdk.out. Context keys, all optional:
 *
 *   region                           the stack's region (default us-east-1); no account is ever needed
 *   destinationBuckets               buckets to create, which the worker alone may write (a, b)
 *   image                            ECR image URI; unset: built from infra/Dockerfile at deploy
 *   vpcId, vpcAvailabilityZones,     an existing VPC, one public and one private subnet per zone;
 *   vpcPublicSubnetIds,              unset: a new VPC
 *   vpcPrivateSubnetIds
 *   apiCertificateArn                ACM certificate: HTTPS on 443; unset: HTTP on 80
 *   alarmTopicArn                    SNS topic the alarms notify
 *   sourceRoleArns                   roles the worker may assume to read S3 sources
 *   jobManifestBuckets               buckets transfer jobs' manifests may be read from (the API may read them)
 *   httpHostLimits                   the workers' HTTP_HOST_LIMITS, e.g. default=8/20,files.example.com=2/5
 *   ec2Spot, ec2SpotInstanceTypes,   workers on an EC2 Spot Auto Scaling group instead of Fargate
 *   ec2SpotMaxInstances
 *   minWorkers, maxWorkers, workerConcurrency, workerOnDemandBase, workerCpu, workerMemoryMiB
 *   apiCpu, apiMemoryMiB, apiMinTasks, apiMaxTasks, redisNodeType, redisReplicas
 */
try {
  const args = parseSynthArgs(process.argv.slice(2));
  const outdir = resolve(args.outdir ?? resolve(import.meta.dirname, '../cdk.out'));
  const { app } = buildFerryApp({ outdir, context: args.context });
  app.synth();
  process.stdout.write(`CloudFormation written to ${outdir}\n`);
} catch (error) {
  // A bad context value or a cdk-nag finding: the message says what; a stack trace adds nothing.
  process.stderr.write(`infra:synth: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
