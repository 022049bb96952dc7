// The worker process's entry point, in two steps: V8's heap is tuned before anything else is even
// loaded (loading the modules would grow the young generation otherwise; see heap-tuning.ts).
import './heap-tuning.ts';

await import('./serve.ts');
