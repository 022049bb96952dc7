import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describeMachine, finishMachine } from '../machine.ts';
import { Child, cpuDelta, cpuTimes } from '../processes.ts';
import { type ApiProcess, startApiProcess } from '../submit/api-process.ts';
import { type PrivateRedis, startPrivateRedis } from '../submit/private-redis.ts';
import type { SubmitLoadConfig, SubmitLoadResult } from '../submit/submit-load.ts';
import type { SubmitMemory, SubmitPhase, SubmitScenario } from '../submit/submit-results.ts';
import { REPO_ROOT, StoreKeys } from '../workspace.ts';

export interface SubmitOptions {
  /** Single submits measured (as many again with an Idempotency-Key each). */
  singles: number;
  /** Imports the batch phase queues, in batches of BATCH_SIZE: the memory figure's count. */
  batched: number;
  command: string;
  log(line: string): void;
}

const BATCH_SIZE = 1000;
const QUEUE = 'ferry-submit-bench';
/** Enough requests in flight to keep the API's one thread busy while answers travel back. */
const SINGLE_CONNECTIONS = 16;
const BATCH_CONNECTIONS = 2;

/**
 * What a submit costs: a real `ferry api` process on a Redis of its own (no workers), loaded by a
 * client in a third process. Each phase reads the API's and Redis's CPU from /proc before and after;
 * the batch phase also reads Redis's used_memory, so its imports' share of Redis is known.
 */
export async function runSubmitScenario(options: SubmitOptions): Promise<SubmitScenario> {
  const result: SubmitScenario = {
    command: options.command,
    machine: describeMachine(null),
    single: null,
    idempotent: null,
    batch: null,
    memory: null,
  };
  let redis: PrivateRedis | null = null;
  let api: ApiProcess | null = null;
  try {
    redis = await startPrivateRedis();
    api = await startApiProcess(redis.url, QUEUE);
    const phase = (load: Omit<SubmitLoadConfig, 'apiUrl' | 'apiKey' | 'label'>) =>
      measurePhase(api as ApiProcess, redis as PrivateRedis, load);
    // The JIT compiles both routes' paths before anything is counted.
    options.log('  warm-up: single submits and batches');
    await phase(singleLoad(Math.max(2000, options.singles / 10), false));
    await phase(batchLoad(10 * BATCH_SIZE));

    options.log(`  ${options.singles} single submits`);
    result.single = await phase(singleLoad(options.singles, false));
    options.log(`  ${options.singles} single submits with an Idempotency-Key each`);
    result.idempotent = await phase(singleLoad(options.singles, true));

    const usedMemoryBefore = await redis.usedMemory();
    options.log(`  ${options.batched} imports in batches of ${BATCH_SIZE}`);
    result.batch = await phase(batchLoad(options.batched));
    result.memory = await measureMemory(redis, usedMemoryBefore, result.batch.imports);
  } catch (error) {
    result.error = (error as Error).message;
  } finally {
    await api?.child.stop();
    await redis?.close();
    finishMachine(result.machine);
  }
  return result;
}

function singleLoad(count: number, idempotencyKeys: boolean) {
  return {
    mode: 'single' as const,
    count,
    batchSize: 1,
    connections: SINGLE_CONNECTIONS,
    inFlight: SINGLE_CONNECTIONS,
    idempotencyKeys,
  };
}

function batchLoad(count: number) {
  return {
    mode: 'batch' as const,
    count,
    batchSize: BATCH_SIZE,
    connections: BATCH_CONNECTIONS,
    inFlight: BATCH_CONNECTIONS,
    idempotencyKeys: false,
  };
}

async function measurePhase(
  api: ApiProcess,
  redis: PrivateRedis,
  load: Omit<SubmitLoadConfig, 'apiUrl' | 'apiKey' | 'label'>,
): Promise<SubmitPhase> {
  const config: SubmitLoadConfig = {
    ...load,
    apiUrl: api.url,
    apiKey: api.apiKey,
    label: randomBytes(4).toString('hex'),
  };
  const apiBefore = cpuTimes(api.child.pid);
  const redisBefore = cpuTimes(redis.server.pid);
  const outcome = await runClient(config);
  const apiCpu = cpuDelta(apiBefore, cpuTimes(api.child.pid));
  const redisCpu = cpuDelta(redisBefore, cpuTimes(redis.server.pid));
  if (outcome.refused > 0) {
    throw new Error(`the API refused ${outcome.refused} imports, the first: ${outcome.firstRefusal}`);
  }
  return {
    mode: load.mode,
    idempotencyKeys: load.idempotencyKeys,
    batchSize: load.batchSize,
    requests: outcome.requests,
    imports: outcome.imports,
    refused: outcome.refused,
    firstRefusal: outcome.firstRefusal,
    connections: load.connections,
    wallS: outcome.wallS,
    apiCpuS: apiCpu.cpuS,
    redisCpuS: redisCpu.cpuS,
  };
}

/** The client's start-up falls inside the API's window: an idle API spends next to nothing meanwhile. */
async function runClient(config: SubmitLoadConfig): Promise<SubmitLoadResult> {
  const client = new Child(
    'submit client',
    process.execPath,
    [join(REPO_ROOT, 'bench/submit/submit-load.ts'), JSON.stringify(config)],
    { cwd: REPO_ROOT },
  );
  let answer: string | null = null;
  client.onLine((line) => {
    if (line.startsWith('{')) answer = line;
  });
  await client.exited;
  if (answer === null) throw new Error(`the submit client printed no result: ${client.output()}`);
  return JSON.parse(answer) as SubmitLoadResult;
}

async function measureMemory(
  redis: PrivateRedis,
  usedMemoryBefore: number,
  added: number,
): Promise<SubmitMemory> {
  const usedMemoryAfter = await redis.usedMemory();
  const keys = new StoreKeys(QUEUE);
  const queuedAfter = await redis.client.zcard(keys.tenantStatus('bench', 'queued'));
  // The newest import, a sample of all.
  const [id = ''] = await redis.client.zrevrange(keys.tenantAll('bench'), 0, 0);
  const sample = [];
  // Every key named after it (its record, its job): what each queued import has of its own.
  for (const key of (await redis.client.keys(`*${id}*`)).sort()) {
    const [bytes, encoding] = await Promise.all([
      redis.client.memory('USAGE', key),
      redis.client.object('ENCODING', key),
    ]);
    sample.push({ key, bytes: Number(bytes ?? 0), encoding: String(encoding ?? 'missing') });
  }
  return { queuedAfter, added, usedMemoryBefore, usedMemoryAfter, sample };
}
