import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tracingWanted } from './tracing-wanted.ts';

const run = promisify(execFile);
const SHARED_INDEX = fileURLToPath(new URL('../index.ts', import.meta.url));
const START_TELEMETRY = fileURLToPath(new URL('./start-telemetry.ts', import.meta.url));
/**
 * What tracing brings in: none of it may load in a process that does not trace. Matched as package
 * folders: pnpm names bullmq's own folder after its peers (`bullmq@6_bullmq-otel@2…/node_modules/bullmq`).
 */
const TRACING_MODULES =
  /node_modules\/(@opentelemetry\/(sdk-|instrumentation|exporter-)|import-in-the-middle\/|bullmq-otel\/|@fastify\/otel\/)/;

/**
 * Starts telemetry in a fresh Node process with exactly `env`, loads the whole shared package as a
 * service would, and answers the tracing modules that were loaded (every module load is seen by a
 * loader hook, ESM and CommonJS alike).
 */
async function modulesLoadedBy(env: Record<string, string>): Promise<{ tracing: boolean; loaded: string[] }> {
  const script = `
    import { registerHooks } from 'node:module';
    const loaded = [];
    registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });
    const { startTelemetry } = await import(${JSON.stringify(START_TELEMETRY)});
    const telemetry = await startTelemetry('worker');
    await import(${JSON.stringify(SHARED_INDEX)});
    await telemetry.shutdown();
    console.log(JSON.stringify({ tracing: telemetry.tracing, loaded: loaded.filter((url) => ${TRACING_MODULES}.test(url)) }));
  `;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
}

describe('tracingWanted', () => {
  it('wants an OTLP endpoint, for all signals or for traces, and no switch turning it off', () => {
    expect(tracingWanted({})).toBe(false);
    expect(tracingWanted({ OTEL_SERVICE_NAME: 'x', OTEL_TRACES_SAMPLER: 'always_on' })).toBe(false);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: ' ' })).toBe(false);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(
      true,
    );
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'TRUE' })).toBe(
      false,
    );
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'false' })).toBe(
      true,
    );
    expect(
      tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' }),
    ).toBe(false);
  });
});

describe('startTelemetry', () => {
  it('loads no SDK, exporter or instrumentation without OTEL variables', async () => {
    expect(await modulesLoadedBy({})).toEqual({ tracing: false, loaded: [] });
  });

  it('loads none with OTEL_SDK_DISABLED=true either, endpoint or not', async () => {
    const disabled = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_SDK_DISABLED: 'true' };
    expect(await modulesLoadedBy(disabled)).toEqual({ tracing: false, loaded: [] });
  });

  it('loads the SDK when an endpoint is set (the check above would see it)', async () => {
    const { tracing, loaded } = await modulesLoadedBy({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' });
    expect(tracing).toBe(true);
    expect(loaded.some((url) => url.includes('@opentelemetry/sdk-node'))).toBe(true);
  });
});
