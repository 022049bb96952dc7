import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { readFerryConfig, readStackEnvironment } from './ferry-config.ts';

const nodeWith = (context: Record<string, unknown>) => new App({ context }).node;

describe('readFerryConfig', () => {
  it('has a working default for every choice', () => {
    const config = readFerryConfig(nodeWith({}));
    expect(config).toMatchObject({
      destinationBuckets: [],
      vpc: undefined,
      image: undefined,
      ec2Spot: undefined,
      jobManifestBuckets: [],
      httpHostLimits: undefined,
      worker: { minWorkers: 1, maxWorkers: 20, concurrency: 4, onDemandBase: 1 },
      redis: { replicas: 1 },
    });
  });

  it('takes lists as JSON arrays or as text separated by commas', () => {
    expect(readFerryConfig(nodeWith({ destinationBuckets: ['a', 'b'] })).destinationBuckets).toEqual([
      'a',
      'b',
    ]);
    expect(readFerryConfig(nodeWith({ destinationBuckets: ' a, b ,' })).destinationBuckets).toEqual([
      'a',
      'b',
    ]);
  });

  it('takes numbers and flags as JSON or as text', () => {
    const config = readFerryConfig(nodeWith({ maxWorkers: 50, minWorkers: '3', ec2Spot: 'true' }));
    expect(config.worker).toMatchObject({ minWorkers: 3, maxWorkers: 50 });
    expect(config.ec2Spot).toEqual({
      instanceTypes: ['m6i.large', 'm5.large', 'm5a.large'],
      maxInstances: 10,
    });
  });

  it('names the key of a bad value', () => {
    expect(() => readFerryConfig(nodeWith({ workerConcurrency: '0' }))).toThrow(
      'context "workerConcurrency": expected a whole number from 1 to 256',
    );
    expect(() => readFerryConfig(nodeWith({ ec2Spot: 'maybe' }))).toThrow('context "ec2Spot"');
    expect(() => readFerryConfig(nodeWith({ minWorkers: '5', maxWorkers: '2' }))).toThrow(
      'context "maxWorkers"',
    );
  });

  it('imports an existing VPC only with subnets in two or more zones', () => {
    expect(() => readFerryConfig(nodeWith({ vpcId: 'vpc-1' }))).toThrow('context "vpcAvailabilityZones"');
    const vpc = {
      vpcId: 'vpc-1',
      vpcAvailabilityZones: 'eu-west-1a,eu-west-1b',
      vpcPublicSubnetIds: 'subnet-1,subnet-2',
      vpcPrivateSubnetIds: 'subnet-3',
    };
    expect(() => readFerryConfig(nodeWith(vpc))).toThrow('context "vpcPrivateSubnetIds"');
    expect(readFerryConfig(nodeWith({ ...vpc, vpcPrivateSubnetIds: 'subnet-3,subnet-4' })).vpc).toEqual({
      vpcId: 'vpc-1',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      publicSubnetIds: ['subnet-1', 'subnet-2'],
      privateSubnetIds: ['subnet-3', 'subnet-4'],
    });
  });
});

describe('readStackEnvironment', () => {
  it('takes a region, and no account: the template stays account-agnostic', () => {
    expect(readStackEnvironment(nodeWith({}))).toEqual({ region: 'us-east-1' });
    expect(readStackEnvironment(nodeWith({ region: 'eu-west-1', account: '123456789012' }))).toEqual({
      region: 'eu-west-1',
    });
  });
});
