// The worker process's entry point, in steps: V8's heap is tuned before anything else is even
// loaded (loading the modules would grow the young generation otherwise; see heap-tuning.ts), then
// tracing starts, before the worker's modules (and ioredis, node:http) load so the instrumentations
// see them.
import './heap-tuning.ts';
import { startTelemetry } from '@ferry/shared/telemetry';

const telemetry = await startTelemetry('worker');
const { serve } = await import('./serve.ts');
serve(telemetry);
