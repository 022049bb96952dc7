import { SecretValue, Validations } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/** The tenant the generated first API key belongs to. */
export const INITIAL_TENANT = 'default';

/** Every character a hex digit: FERRY_SECRET_KEY takes 32 bytes as 64 hex digits. */
const NOT_HEX = 'ghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ';

/** The application secrets the API and the worker read as ECS secrets; no value is ever in a template. */
export class FerrySecrets extends Construct {
  /** FERRY_SECRET_KEY: seals provider credentials inside queued jobs. */
  readonly secretKey: secretsmanager.Secret;
  /** FERRY_API_KEYS: `key:tenant,key:tenant`. */
  readonly apiKeys: secretsmanager.Secret;
  /** The first tenant's key alone, for handing to that tenant. */
  readonly initialApiKey: secretsmanager.Secret;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.secretKey = new secretsmanager.Secret(this, 'SecretKey', {
      description: 'FERRY_SECRET_KEY: 32 random bytes as hex, sealing provider credentials in queued jobs',
      generateSecretString: {
        passwordLength: 64,
        excludePunctuation: true,
        includeSpace: false,
        excludeCharacters: NOT_HEX,
      },
    });
    Validations.of(this.secretKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Jobs already queued were sealed with this key: rotating it means moving the old value to FERRY_SECRET_KEY_PREVIOUS until they drain, an operator procedure a rotation Lambda cannot perform',
    });

    this.initialApiKey = new secretsmanager.Secret(this, 'InitialApiKey', {
      description: `The API key of tenant "${INITIAL_TENANT}"`,
      generateSecretString: { passwordLength: 40, excludePunctuation: true, includeSpace: false },
    });
    // FERRY_API_KEYS pairs each key with its tenant. CloudFormation resolves the generated key into
    // the value at deploy time, so the template holds a reference, never the key; operators add
    // and retire keys by editing this secret.
    this.apiKeys = new secretsmanager.Secret(this, 'ApiKeys', {
      description: 'FERRY_API_KEYS: key:tenant pairs, separated by commas',
      secretStringValue: SecretValue.unsafePlainText(
        `${this.initialApiKey.secretValue.unsafeUnwrap()}:${INITIAL_TENANT}`,
      ),
    });
    for (const secret of [this.initialApiKey, this.apiKeys]) {
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'API keys are held by tenants: an automatic rotation would revoke a key without telling its holder. Keys are rotated by adding the new one beside the old and retiring the old once the tenant has switched',
      });
    }
  }
}
