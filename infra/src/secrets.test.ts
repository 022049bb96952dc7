import { describe, expect, it } from 'vitest';
import { INITIAL_TENANT } from './secrets.ts';
import { synthFerry } from './testing/synth-ferry.ts';
import { containerNamed, logicalIdOf, secretsOf } from './testing/template-queries.ts';

const { stack, template } = synthFerry();
const ref = (construct: Parameters<typeof logicalIdOf>[0]) => ({ Ref: logicalIdOf(construct) });

describe('secrets', () => {
  it('gives each service its secrets from Secrets Manager, by the names the services read', () => {
    const { secrets, redis } = stack;
    expect(secretsOf(containerNamed(template, 'api'))).toEqual({
      FERRY_API_KEYS: ref(secrets.apiKeys),
      FERRY_SECRET_KEY: ref(secrets.secretKey),
      REDIS_PASSWORD: ref(redis.authToken),
    });
    expect(secretsOf(containerNamed(template, 'worker'))).toEqual({
      FERRY_SECRET_KEY: ref(secrets.secretKey),
      REDIS_PASSWORD: ref(redis.authToken),
    });
    expect(secretsOf(containerNamed(template, 'autoscaler'))).toEqual({
      REDIS_PASSWORD: ref(redis.authToken),
    });
  });

  it('generates FERRY_SECRET_KEY as 64 hex digits', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: {
        PasswordLength: 64,
        ExcludePunctuation: true,
        IncludeSpace: false,
        ExcludeCharacters: 'ghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ',
      },
    });
  });

  it('makes FERRY_API_KEYS from a generated key and the first tenant, by reference', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      SecretString: {
        'Fn::Join': [
          '',
          [
            '{{resolve:secretsmanager:',
            ref(stack.secrets.initialApiKey),
            `:SecretString:::}}:${INITIAL_TENANT}`,
          ],
        ],
      },
    });
  });

  it('puts no secret value in the template: every secret is generated or a reference', () => {
    for (const secret of Object.values(template.findResources('AWS::SecretsManager::Secret'))) {
      const { GenerateSecretString, SecretString } = secret.Properties;
      if (GenerateSecretString) continue;
      expect(JSON.stringify(SecretString)).toMatch(/^\{"Fn::Join":\["",\["\{\{resolve:secretsmanager:"/);
    }
    for (const name of ['api', 'worker', 'autoscaler']) {
      const environment = containerNamed(template, name).Environment ?? [];
      expect(environment.map(({ Name }) => Name)).not.toContain('FERRY_SECRET_KEY');
      expect(environment.map(({ Name }) => Name)).not.toContain('FERRY_API_KEYS');
      expect(environment.map(({ Name }) => Name)).not.toContain('REDIS_PASSWORD');
    }
  });
});
