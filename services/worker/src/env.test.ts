import { TEST_SECRET_KEY } from '@ferry/test-support';
import { describe, expect, it } from 'vitest';
import { parseWorkerEnv } from './env.ts';

describe('worker environment', () => {
  const base = { FERRY_SECRET_KEY: TEST_SECRET_KEY };

  it('probes the S3 endpoint by default and takes every mode by name', () => {
    expect(parseWorkerEnv(base).S3_CHECKSUM_MODE).toBe('auto');
    for (const mode of ['trailer', 'signed', 'header', 'etag'] as const) {
      expect(parseWorkerEnv({ ...base, S3_CHECKSUM_MODE: mode }).S3_CHECKSUM_MODE).toBe(mode);
    }
  });

  it('refuses an unknown S3_CHECKSUM_MODE at start-up, naming the variable', () => {
    expect(() => parseWorkerEnv({ ...base, S3_CHECKSUM_MODE: 'crc64' })).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining('S3_CHECKSUM_MODE'),
      }),
    );
  });

  it('serves /metrics on 9464 of every interface by default; 0 asks for a free port', () => {
    expect(parseWorkerEnv(base)).toMatchObject({ METRICS_PORT: 9464, METRICS_HOST: '0.0.0.0' });
    expect(parseWorkerEnv({ ...base, METRICS_PORT: '0', METRICS_HOST: '127.0.0.1' })).toMatchObject({
      METRICS_PORT: 0,
      METRICS_HOST: '127.0.0.1',
    });
  });

  it('refuses a METRICS_PORT that is no port, naming the variable', () => {
    for (const METRICS_PORT of ['65536', '-1', 'ninety']) {
      expect(() => parseWorkerEnv({ ...base, METRICS_PORT })).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('METRICS_PORT') }),
      );
    }
  });
});
