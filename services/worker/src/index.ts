export { parseWorkerEnv, type WorkerConfig, WorkerEnv } from './env.ts';
export { startWorker, type WorkerDeps, type WorkerHandle } from './start-worker.ts';
