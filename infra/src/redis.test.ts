import { describe, expect, it } from 'vitest';
import { REDIS_PORT } from './redis.ts';
import { synthFerry } from './testing/synth-ferry.ts';
import { containerNamed, environmentOf, logicalIdOf, secretsOf } from './testing/template-queries.ts';

const { stack, template } = synthFerry();
const groupId = logicalIdOf(stack.redis.node.findChild('ReplicationGroup'));
const tokenId = logicalIdOf(stack.redis.authToken);

describe('Redis', () => {
  it('is a Multi-AZ replication group with automatic failover, TLS and an AUTH token from Secrets Manager', () => {
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      Engine: 'redis',
      NumCacheClusters: 2,
      MultiAZEnabled: true,
      AutomaticFailoverEnabled: true,
      TransitEncryptionEnabled: true,
      TransitEncryptionMode: 'required',
      AtRestEncryptionEnabled: true,
      Port: REDIS_PORT,
      AuthToken: { 'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: tokenId }, ':SecretString:::}}']] },
    });
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
    });
  });

  it('never evicts a key: BullMQ requires noeviction', () => {
    const parameters = logicalIdOf(stack.redis.node.findChild('Parameters'));
    template.hasResourceProperties('AWS::ElastiCache::ParameterGroup', {
      CacheParameterGroupFamily: 'redis7',
      Properties: { 'maxmemory-policy': 'noeviction' },
    });
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      CacheParameterGroupName: { Ref: parameters },
    });
  });

  it('is reached by every service at a rediss:// URL, with the token as REDIS_PASSWORD', () => {
    const url = {
      'Fn::Join': [
        '',
        [
          'rediss://',
          { 'Fn::GetAtt': [groupId, 'PrimaryEndPoint.Address'] },
          ':',
          { 'Fn::GetAtt': [groupId, 'PrimaryEndPoint.Port'] },
        ],
      ],
    };
    for (const name of ['api', 'worker', 'autoscaler']) {
      const container = containerNamed(template, name);
      expect(environmentOf(container).REDIS_URL).toEqual(url);
      expect(secretsOf(container).REDIS_PASSWORD).toEqual({ Ref: tokenId });
    }
  });

  it('admits the three services and nothing else', () => {
    const redisGroup = stack.resolve(stack.redis.connections.securityGroups[0]?.securityGroupId);
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).filter(
      (rule) => JSON.stringify(rule.Properties.GroupId) === JSON.stringify(redisGroup),
    );
    expect(ingress.map((rule) => [rule.Properties.FromPort, rule.Properties.CidrIp])).toEqual([
      [REDIS_PORT, undefined],
      [REDIS_PORT, undefined],
      [REDIS_PORT, undefined],
    ]);
  });
});
