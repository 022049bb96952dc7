// Not through ../workspace.ts: this process loads only what a client needs, not the AWS SDK.
import { Pool } from 'undici';

/**
 * The submit scenario's client, a process of its own so that its CPU is not the API's: sends
 * `count` imports to a running API, as single submits or as batches, keeping `inFlight` requests
 * open at once over `connections` kept-alive connections. Prints one JSON line (SubmitLoadResult)
 * when done.
 *
 * Usage: node bench/submit/submit-load.ts '<SubmitLoadConfig as JSON>'
 */
export interface SubmitLoadConfig {
  apiUrl: string;
  apiKey: string;
  /** Each import is its own POST /v1/imports, or `batchSize` of them go in one POST /v1/imports/batch. */
  mode: 'single' | 'batch';
  count: number;
  batchSize: number;
  connections: number;
  inFlight: number;
  /** Single submits only: each carries an Idempotency-Key of its own. */
  idempotencyKeys: boolean;
  /** Tells this run's imports apart from another's (keys and idempotency keys). */
  label: string;
}

export interface SubmitLoadResult {
  requests: number;
  imports: number;
  /** Requests answered other than 202 (single) or 200 (batch), and batch items refused. */
  refused: number;
  firstRefusal: string | null;
  wallS: number;
}

/** A small http source as a migration's manifest would list it; an IP literal, so no DNS lookup. */
function importRequest(label: string, n: number) {
  return {
    source: { type: 'http', url: `http://127.0.0.1:9/migration/${label}/file-${n}.bin` },
    destination: { bucket: 'bench-submit', key: `migration/${label}/file-${n}.bin` },
  };
}

async function run(config: SubmitLoadConfig): Promise<SubmitLoadResult> {
  const pool = new Pool(config.apiUrl, { connections: config.connections, pipelining: 1 });
  const perRequest = config.mode === 'batch' ? config.batchSize : 1;
  const requests = Math.ceil(config.count / perRequest);
  const result: SubmitLoadResult = { requests, imports: 0, refused: 0, firstRefusal: null, wallS: 0 };
  const headers = { authorization: `Bearer ${config.apiKey}`, 'content-type': 'application/json' };
  // Bodies are made before the clock starts: the client's own work is not what is measured.
  const bodies = Array.from({ length: requests }, (_, r) => {
    const first = r * perRequest;
    const items = Array.from({ length: Math.min(perRequest, config.count - first) }, (_, i) =>
      importRequest(config.label, first + i),
    );
    return JSON.stringify(config.mode === 'batch' ? { imports: items } : items[0]);
  });
  const refuse = (detail: string) => {
    result.refused++;
    result.firstRefusal ??= detail.slice(0, 300);
  };

  let next = 0;
  const worker = async () => {
    for (let r = next++; r < requests; r = next++) {
      const response = await pool.request({
        method: 'POST',
        path: config.mode === 'batch' ? '/v1/imports/batch' : '/v1/imports',
        headers: config.idempotencyKeys ? { ...headers, 'idempotency-key': `${config.label}-${r}` } : headers,
        body: bodies[r],
      });
      const text = await response.body.text();
      const expected = config.mode === 'batch' ? 200 : 202;
      if (response.statusCode !== expected) {
        refuse(`${response.statusCode} ${text}`);
        continue;
      }
      if (config.mode === 'single') {
        result.imports++;
        continue;
      }
      const { results } = JSON.parse(text) as { results: Array<{ id?: string; error?: unknown }> };
      for (const item of results) {
        if (item.id) result.imports++;
        else refuse(JSON.stringify(item.error));
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(config.inFlight, requests) }, worker));
  result.wallS = (performance.now() - started) / 1000;
  await pool.close();
  return result;
}

const config = JSON.parse(process.argv[2] ?? '{}') as SubmitLoadConfig;
console.log(JSON.stringify(await run(config)));
