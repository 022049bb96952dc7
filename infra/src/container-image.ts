import { resolve } from 'node:path';
import { IgnoreMode, Validations } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type { Construct } from 'constructs';

const REPO_ROOT = resolve(import.meta.dirname, '../..');

/** What never belongs in the build context, whatever the repository's .dockerignore says. */
const NEVER_IN_CONTEXT = [
  '.git',
  '**/node_modules',
  '**/dist',
  '.tools',
  '.turbo',
  '.ferry',
  'infra/cdk.out',
  'bench/results',
  '**/*.log',
];

const ECR_IMAGE_URI =
  /^(?<account>\d{12})\.dkr\.ecr\.(?<region>[a-z0-9-]+)\.amazonaws\.com(?<cn>\.cn)?\/(?<repository>[a-z0-9._/-]+)(?::(?<tag>[\w.-]{1,128})|@(?<digest>sha256:[a-f0-9]{64}))?$/;

/**
 * The one Ferry image every service runs (its command picks `api`, `worker` or `autoscaler`): an ECR
 * image when a URI is given, else built from the repository with infra/Dockerfile at deploy time.
 */
export function ferryImage(scope: Construct, imageUri: string | undefined): ecs.ContainerImage {
  if (imageUri === undefined) {
    return ecs.ContainerImage.fromAsset(REPO_ROOT, {
      file: 'infra/Dockerfile',
      exclude: NEVER_IN_CONTEXT,
      ignoreMode: IgnoreMode.DOCKER,
    });
  }
  const match = ECR_IMAGE_URI.exec(imageUri);
  if (!match?.groups) {
    throw new Error(
      `context "image": expected an ECR image URI like 123456789012.dkr.ecr.eu-west-1.amazonaws.com/ferry:1.0`,
    );
  }
  const { account, region, cn, repository, tag, digest } = match.groups;
  // Imported by ARN, so the task execution role is granted pulls from this repository alone.
  const repositoryArn = `arn:${cn ? 'aws-cn' : 'aws'}:ecr:${region}:${account}:repository/${repository}`;
  const repo = ecr.Repository.fromRepositoryAttributes(scope, 'ImageRepository', {
    repositoryArn,
    repositoryName: repository ?? '',
  });
  return ecs.ContainerImage.fromEcrRepository(repo, digest ?? tag ?? 'latest');
}

/** The execution role's ECR login, which every task definition pulling the image is granted. */
export function acknowledgeRegistryLogin(taskDefinition: ecs.TaskDefinition): void {
  Validations.of(taskDefinition).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'ecr:GetAuthorizationToken supports no resource-level permissions; the image pulls themselves are granted on the one repository',
  });
}
