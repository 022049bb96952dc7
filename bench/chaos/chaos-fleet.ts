import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startAutoscaler } from '@ferry/autoscaler';
import { startEcsStandIn } from '@ferry/local-stack';
import { REPO_ROOT } from '../workspace.ts';

/**
 * The chaos run's fleet as a process of its own: the ECS/CloudWatch stand-in with one service whose
 * tasks are `ferry worker` processes, and Ferry's autoscaler in `ecs` mode sizing it, as on AWS. Its
 * only children are the workers, so the CPU its reaped children used (/proc/self/stat) is the
 * fleet's. Control, for the bench's chaos driver:
 *
 * - `GET /tasks` → the live tasks: `{ id, pid, lastStatus, protected }` (protected: holding imports)
 * - `POST /kill` `{ id, how }`: `sigkill` (the host is gone) or `spot` (ECS's SIGTERM, then SIGKILL
 *   after the stop timeout: a Spot reclaim)
 * - `POST /close` → stops the autoscaler and every task, then answers the fleet's figures
 *
 * Usage: node bench/chaos/chaos-fleet.ts <config.json> (see ChaosFleetConfig). Prints its control
 * URL as the first line of stdout.
 */
interface ChaosFleetConfig {
  workerEnv: Record<string, string>;
  autoscalerEnv: Record<string, string>;
  logDir: string;
}

interface StoppedTask {
  id: string;
  stopCode: string | null;
  stoppedReason: string | null;
  exitCode: number | null;
  /** The imports the worker said it held when it began to drain; null: it never drained (SIGKILL). */
  drainingWith: number | null;
}

const CLUSTER = 'ferry-chaos';
const SERVICE = 'ferry-workers';
const CLOCK_TICKS_PER_S = 100;

const config = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as ChaosFleetConfig;
mkdirSync(config.logDir, { recursive: true });
const stopped: StoppedTask[] = [];

const standIn = await startEcsStandIn({
  taskOutput: (_service, taskId) => {
    const path = join(config.logDir, `task-${taskId}.log`);
    const stream = createWriteStream(path);
    // Read when the task has exited: how it was stopped, and whether it held imports then.
    stream.once('finish', () => stopped.push(stoppedTask(taskId, path)));
    return stream;
  },
});
const service = standIn.createService({
  cluster: CLUSTER,
  name: SERVICE,
  desiredCount: 1,
  taskDefinition: {
    command: process.execPath,
    args: [join(REPO_ROOT, 'packages/cli/src/main.ts'), 'worker'],
    environment: config.workerEnv,
    // As the production task definition: ECS's longest, past the worker's drain.
    stopTimeoutS: 120,
    cpu: 1024,
    memoryMiB: 2048,
  },
});
// The SDK clients of the autoscaler read their endpoints and credentials from the environment.
Object.assign(process.env, standIn.clientEnv, {
  AWS_ACCESS_KEY_ID: 'chaos',
  AWS_SECRET_ACCESS_KEY: 'chaos-secret',
});
const autoscaler = await startAutoscaler({
  ...process.env,
  ...config.autoscalerEnv,
  AUTOSCALER_MODE: 'ecs',
  ECS_CLUSTER: CLUSTER,
  ECS_SERVICE: SERVICE,
  AUTOSCALER_PORT: '0',
  AUTOSCALER_HOST: '127.0.0.1',
});

function stoppedTask(id: string, logPath: string): StoppedTask {
  const view = service.task(id);
  let drainingWith: number | null = null;
  for (const line of readFileSync(logPath, 'utf8').split('\n')) {
    if (!line.includes('"draining"')) continue;
    try {
      drainingWith = Number((JSON.parse(line) as { running?: number }).running ?? 0);
    } catch {}
  }
  return {
    id,
    stopCode: view?.stopCode ?? null,
    stoppedReason: view?.stoppedReason ?? null,
    exitCode: view?.exitCode ?? null,
    drainingWith,
  };
}

/** CPU the reaped children (the workers) used: utime and stime of /proc/self/stat's cutime, cstime. */
function childrenCpuS(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command: state is field 3, so cutime (16) and cstime (17) are at 13 and 14.
  return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS_PER_S;
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
}

const reply = (res: ServerResponse, status: number, body: unknown) =>
  void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

let closing: Promise<unknown> | null = null;
async function close() {
  const peakDesired = Math.max(0, ...autoscalerDesired);
  await autoscaler.close();
  const beforeClose = stopped.length;
  await standIn.close();
  // Tasks stopped by the close itself are not the scheduler's scale-in.
  const duringRun = stopped.slice(0, beforeClose);
  return {
    workerCpuS: childrenCpuS(),
    tasksStarted: stopped.length,
    peakDesired,
    stopped: duringRun,
  };
}

const autoscalerDesired: number[] = [];
const sampler = setInterval(() => autoscalerDesired.push(service.desiredCount), 1000);
sampler.unref();

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://fleet');
  try {
    if (req.method === 'GET' && url.pathname === '/tasks') {
      return reply(
        res,
        200,
        service
          .tasks()
          .map(({ id, pid, lastStatus, protected: busy }) => ({ id, pid, lastStatus, protected: busy })),
      );
    }
    if (req.method === 'POST' && url.pathname === '/kill') {
      const { id, how } = await readJson(req);
      const task = service.task(String(id));
      if (task?.lastStatus !== 'RUNNING' || task.pid === undefined) {
        return reply(res, 409, { error: 'not running' });
      }
      if (how === 'sigkill') process.kill(task.pid, 'SIGKILL');
      else service.stopTask(task.id, 'Spot interruption: the capacity is reclaimed');
      return reply(res, 200, {});
    }
    if (req.method === 'POST' && url.pathname === '/close') {
      closing ??= close();
      return reply(res, 200, await closing);
    }
    reply(res, 404, { error: `no ${req.method} ${url.pathname}` });
  } catch (error) {
    reply(res, 500, { error: (error as Error).message });
  }
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
process.stdout.write(`http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
process.once('SIGTERM', () => {
  closing ??= close();
  void closing.finally(() => process.exit(0));
});
