import { describe, expect, it } from 'vitest';
import { JOBS_BUCKET_OBJECT_ACTIONS, MANIFEST_BUCKET_OBJECT_ACTIONS } from './jobs-access.ts';
import { EVERY_OPTION } from './testing/every-option.ts';
import { synthFerry } from './testing/synth-ferry.ts';
import {
  actionsOf,
  containerNamed,
  environmentOf,
  logicalIdOf,
  type PolicyStatement,
  statementsOfRole,
} from './testing/template-queries.ts';

const plain = synthFerry();
const everyOption = synthFerry(EVERY_OPTION);

function apiStatements({ stack, template }: typeof plain): PolicyStatement[] {
  return statementsOfRole(template, logicalIdOf(stack.api.service.taskDefinition.taskRole));
}

describe('transfer jobs in the stack', () => {
  it('gives the API its own jobs bucket, by JOBS_BUCKET, and the region its S3 client signs for', () => {
    const { stack, template } = plain;
    const environment = environmentOf(containerNamed(template, 'api'));
    expect(environment.JOBS_BUCKET).toEqual({ Ref: logicalIdOf(stack.jobs.bucket) });
    expect(environment.S3_REGION).toEqual({ Ref: 'AWS::Region' });
    // No manifest buckets unless the operator names some: the API then reads no S3 manifest at all.
    expect(environment.JOB_MANIFEST_BUCKETS).toBeUndefined();
    template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: { LogFilePrefix: 's3-access/jobs/' },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, RestrictPublicBuckets: true },
    });
  });

  it("lets the API's task role write and read the jobs bucket's objects, and nothing else of S3 by default", () => {
    const { stack } = plain;
    const s3Statements = apiStatements(plain).filter((statement) =>
      actionsOf(statement).some((action) => action.startsWith('s3:')),
    );
    expect(s3Statements).toEqual([
      {
        Effect: 'Allow',
        Action: JOBS_BUCKET_OBJECT_ACTIONS,
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalIdOf(stack.jobs.bucket), 'Arn'] }, '/*']] },
      },
    ]);
  });

  it('passes JOB_MANIFEST_BUCKETS to the API, with read on exactly those buckets', () => {
    const environment = environmentOf(containerNamed(everyOption.template, 'api'));
    expect(environment.JOB_MANIFEST_BUCKETS).toBe(EVERY_OPTION.jobManifestBuckets);
    expect(apiStatements(everyOption)).toContainEqual({
      Effect: 'Allow',
      Action: MANIFEST_BUCKET_OBJECT_ACTIONS[0],
      Resource: EVERY_OPTION.jobManifestBuckets.split(',').map((name) => ({
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::${name}/*`]],
      })),
    });
  });

  it('passes HTTP_HOST_LIMITS to the workers only when given', () => {
    expect(environmentOf(containerNamed(everyOption.template, 'worker')).HTTP_HOST_LIMITS).toBe(
      EVERY_OPTION.httpHostLimits,
    );
    expect(environmentOf(containerNamed(plain.template, 'worker')).HTTP_HOST_LIMITS).toBeUndefined();
    expect(environmentOf(containerNamed(everyOption.template, 'api')).HTTP_HOST_LIMITS).toBeUndefined();
  });
});
