// First, so it applies before the worker's modules run (main.ts applies it before they even load; a
// process embedding the worker can import '@ferry/worker/heap-tuning' first to do the same).
import './heap-tuning.ts';

export { parseWorkerEnv, type WorkerConfig, WorkerEnv } from './env.ts';
export { WORKER_CLOUDWATCH_METRICS } from './metrics/cloudwatch-metrics.ts';
export { startWorker, type WorkerDeps, type WorkerHandle } from './start-worker.ts';
