import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { ferryImage } from './container-image.ts';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const stack = new Stack(new App(), 'Image', { env: { region: 'eu-west-1' } });
/** A task definition of its own for each image, in a scope of its own (one image per scope). */
const runs = (id: string, uri: string) => {
  const scope = new Construct(stack, id);
  return new ecs.FargateTaskDefinition(scope, 'Task').addContainer('ferry', {
    image: ferryImage(scope, uri),
  });
};
runs('Tagged', '123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/ferry:1.4.0');
const template = JSON.stringify(Template.fromStack(stack).toJSON());

describe('ferryImage', () => {
  it('pulls an ECR image by tag, with pulls granted on that repository alone', () => {
    expect(template).toContain('/team/ferry:1.4.0');
    expect(template).toContain('"Resource":"arn:aws:ecr:eu-west-1:123456789012:repository/team/ferry"');
  });

  it('pulls an ECR image by digest', () => {
    const container = runs('Pinned', `123456789012.dkr.ecr.eu-west-1.amazonaws.com/ferry@${DIGEST}`);
    expect(JSON.stringify(stack.resolve(container.imageName))).toContain(`/ferry@${DIGEST}`);
  });

  it('refuses an image that is not in ECR', () => {
    expect(() => ferryImage(stack, 'ghcr.io/example/ferry:1.0')).toThrow(
      'context "image": expected an ECR image URI',
    );
  });
});
