import { createServer } from 'node:http';
import { listenOnLoopback } from './listen-on-loopback.ts';

export interface OriginRequest {
  /** When the request arrived (ms since the epoch). */
  at: number;
  method: string;
  path: string;
  status: number;
}

/** A span in which the origin told clients to wait: 429 sent at `from`, requests welcome again at `until`. */
export interface OriginPause {
  from: number;
  until: number;
}

export interface RecordingOrigin {
  url: string;
  /** `host:port`, as HTTP_HOST_LIMITS names it. */
  host: string;
  /** Serves `bytes` at `/<name>` (HEAD, GET, byte ranges, a strong ETag). */
  addFile(name: string, bytes: Buffer): void;
  /**
   * The `nth` request from now on is answered 429 with Retry-After `retryAfterS`, as is every request
   * until that wait is over (an origin that enforces its Retry-After). Resolves when the 429 is sent.
   */
  throttleAt(nth: number, retryAfterS: number): Promise<OriginPause>;
  requests(): OriginRequest[];
  pauses(): OriginPause[];
  /** Most body downloads (GETs answered with bytes) the origin was serving at one time. */
  maxConcurrentDownloads(): number;
  /** Most requests that arrived within any `windowMs`. */
  maxRequestsWithin(windowMs: number): number;
  /**
   * Requests that arrived while a pause was in force, past its first `graceMs`: requests already on
   * their way when the 429 went out are not the client's fault.
   */
  requestsDuringPauses(graceMs: number): OriginRequest[];
  close(): Promise<void>;
}

/**
 * A real HTTP origin that records every request's arrival and how many downloads it serves at once,
 * and can throttle with Retry-After: what per-host limits are judged against. Each body is sent after
 * `bodyDelayMs`, so that downloads overlap and a concurrency limit has something to hold back.
 */
export async function startRecordingOrigin(options: { bodyDelayMs?: number } = {}): Promise<RecordingOrigin> {
  const files = new Map<string, Buffer>();
  const log: OriginRequest[] = [];
  const pauses: OriginPause[] = [];
  const throttles: Array<{ at: number; retryAfterS: number; resolve: (pause: OriginPause) => void }> = [];
  let downloads = 0;
  let mostDownloads = 0;

  const server = createServer((req, res) => {
    const at = Date.now();
    const entry: OriginRequest = { at, method: req.method ?? '', path: req.url ?? '', status: 0 };
    log.push(entry);
    const answer = (status: number, headers: Record<string, string | number> = {}) => {
      entry.status = status;
      res.writeHead(status, headers);
    };

    const active = pauses.find((pause) => at >= pause.from && at < pause.until);
    const throttle = throttles.find((t) => t.at === log.length);
    if (active || throttle) {
      const pause = active ?? { from: at, until: at + (throttle?.retryAfterS ?? 0) * 1000 };
      if (!active) pauses.push(pause);
      throttle?.resolve(pause);
      const { until } = pause;
      answer(429, { 'retry-after': Math.max(1, Math.ceil((until - at) / 1000)), 'content-length': 0 });
      return res.end();
    }

    const file = files.get(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).slice(1));
    if (!file) {
      answer(404, { 'content-length': 0 });
      return res.end();
    }
    const range = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ''));
    const start = range ? Number(range[1]) : 0;
    const end = range?.[2] ? Math.min(Number(range[2]), file.length - 1) : file.length - 1;
    const headers = { 'accept-ranges': 'bytes', etag: '"recorded-v1"', 'content-length': end - start + 1 };
    if (req.method === 'HEAD') {
      answer(200, { ...headers, 'content-length': file.length });
      return res.end();
    }
    if (range) answer(206, { ...headers, 'content-range': `bytes ${start}-${end}/${file.length}` });
    else answer(200, headers);
    downloads++;
    mostDownloads = Math.max(mostDownloads, downloads);
    res.once('close', () => downloads--);
    setTimeout(() => res.end(file.subarray(start, end + 1)), options.bodyDelayMs ?? 0);
  });
  const listening = await listenOnLoopback(server);

  return {
    url: listening.url,
    host: new URL(listening.url).host,
    addFile: (name, bytes) => files.set(name, bytes),
    throttleAt: (nth, retryAfterS) =>
      new Promise((resolve) => throttles.push({ at: log.length + nth, retryAfterS, resolve })),
    requests: () => log.map((entry) => ({ ...entry })),
    pauses: () => pauses.map((pause) => ({ ...pause })),
    maxConcurrentDownloads: () => mostDownloads,
    maxRequestsWithin: (windowMs) => {
      const times = log.map((entry) => entry.at).sort((a, b) => a - b);
      let most = 0;
      for (let first = 0, last = 0; last < times.length; last++) {
        while ((times[last] ?? 0) - (times[first] ?? 0) >= windowMs) first++;
        most = Math.max(most, last - first + 1);
      }
      return most;
    },
    requestsDuringPauses: (graceMs) =>
      log.filter((entry) => pauses.some((p) => entry.at > p.from + graceMs && entry.at < p.until)),
    close: listening.close,
  };
}
