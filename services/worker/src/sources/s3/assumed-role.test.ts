import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { TransferError } from '../../errors/transfer-error.ts';
import { ACCESS_DENIED, type StsStandIn, startStsStandIn, THROTTLING } from '../../testing/sts-stand-in.ts';
import { AssumedRoles } from './assumed-role.ts';

const ROLE = {
  roleArn: 'arn:aws:iam::123456789012:role/ferry-reader',
  externalId: 'ext-id-7Qx9',
  sessionName: 'ferry-imp_TEST',
};
const WORKER = { AWS_ACCESS_KEY_ID: 'worker-key', AWS_SECRET_ACCESS_KEY: 'worker-secret' };

describe('AssumedRoles (against an STS stand-in)', () => {
  const standIns: StsStandIn[] = [];
  const roles: AssumedRoles[] = [];
  const start = async (options: Parameters<typeof startStsStandIn>[0] = {}, now?: () => number) => {
    const sts = await startStsStandIn(options);
    standIns.push(sts);
    const assumed = new AssumedRoles({ ...WORKER, STS_ENDPOINT: sts.url }, now);
    roles.push(assumed);
    return { sts, assumed };
  };

  afterEach(() => {
    for (const assumed of roles.splice(0)) assumed.destroy();
  });
  afterAll(async () => {
    await Promise.all(standIns.map((sts) => sts.close()));
  });

  it('assumes the role for an hour, with the externalId and session name, and shares the session', async () => {
    const { sts, assumed } = await start();
    const credentials = assumed.credentials(ROLE, 'eu-west-1');
    const [first, second] = await Promise.all([credentials(), credentials()]);
    expect(sts.calls).toEqual([
      {
        roleArn: ROLE.roleArn,
        externalId: ROLE.externalId,
        roleSessionName: ROLE.sessionName,
        durationSeconds: 3600,
      },
    ]);
    const issued = sts.issued[0];
    expect(first).toEqual(issued);
    expect(second).toBe(first);
    expect(await credentials()).toBe(first);
  });

  it('asks for a new session before the current one ends', async () => {
    let clock = Date.now();
    const { sts, assumed } = await start({}, () => clock);
    const credentials = assumed.credentials(ROLE, 'us-east-1');
    const first = await credentials();
    clock += 45 * 60_000;
    expect(await credentials()).toBe(first);
    clock += 10 * 60_000; // 5 minutes left
    const second = await credentials();
    expect(sts.calls).toHaveLength(2);
    expect(second.accessKeyId).not.toBe(first.accessKeyId);
  });

  it('fails for good on AccessDenied, naming the role but not the externalId', async () => {
    const { assumed } = await start({ fault: () => ACCESS_DENIED });
    const error = await assumed
      .credentials(ROLE, 'us-east-1')()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransferError);
    expect(error).toMatchObject({ code: 'SOURCE_ACCESS_DENIED', retryable: false });
    expect((error as Error).message).toContain(ROLE.roleArn);
    expect((error as Error).message).not.toContain(ROLE.externalId);
    expect((error as Error).cause).toBeUndefined();
  });

  it('counts throttling as transient, and asks again on the next call', async () => {
    let refuse = true;
    const { sts, assumed } = await start({ fault: () => (refuse ? THROTTLING : null) });
    const credentials = assumed.credentials(ROLE, 'us-east-1');
    await expect(credentials()).rejects.toMatchObject({ code: 'SOURCE_SERVER_ERROR', retryable: true });
    refuse = false;
    const fresh = await credentials();
    expect(sts.issued).toEqual([fresh]);
  });

  it('counts an unreachable STS as transient', async () => {
    const { sts, assumed } = await start();
    await sts.close();
    await expect(assumed.credentials(ROLE, 'us-east-1')()).rejects.toMatchObject({
      code: 'SOURCE_NETWORK_ERROR',
      retryable: true,
    });
  });
});
