import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { ImportRequest, PublicImportView, PublicJobView } from '@ferry/shared';
import { connectionFile } from './paths.ts';

export interface ApiSettings {
  url: string;
  key: string;
}

/** FERRY_API_URL / FERRY_API_KEY, else what the running `ferry up` wrote, else the defaults. */
export function apiSettings(env: NodeJS.ProcessEnv = process.env): ApiSettings {
  const local: Record<string, string> = {};
  try {
    for (const line of readFileSync(connectionFile(env), 'utf8').split('\n')) {
      const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
      if (match?.[1]) local[match[1]] = match[2] ?? '';
    }
  } catch {
    // No local stack has run here: fall through to the defaults.
  }
  const url = env.FERRY_API_URL ?? local.FERRY_API_URL ?? 'http://127.0.0.1:8080';
  const key = env.FERRY_API_KEY ?? local.FERRY_API_KEY ?? '';
  return { url: url.replace(/\/$/, ''), key };
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export interface ImportList {
  items: PublicImportView[];
  nextCursor: string | null;
}

/** The few calls the CLI makes; errors surface the API's own code and message. */
export class ApiClient {
  readonly #settings: ApiSettings;

  constructor(settings: ApiSettings) {
    this.#settings = settings;
  }

  submit(request: ImportRequest): Promise<{ id: string; status: string }> {
    return this.#call('POST', '/v1/imports', request);
  }

  get(id: string): Promise<PublicImportView> {
    return this.#call('GET', `/v1/imports/${encodeURIComponent(id)}`);
  }

  list(query: { status?: string; cursor?: string; limit?: number }): Promise<ImportList> {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query))
      if (value !== undefined) params.set(name, String(value));
    const suffix = params.size > 0 ? `?${params}` : '';
    return this.#call('GET', `/v1/imports${suffix}`);
  }

  cancel(id: string): Promise<{ id: string; status: string }> {
    return this.#call('DELETE', `/v1/imports/${encodeURIComponent(id)}`);
  }

  /** Starts a job from a manifest streamed as the request body (never read whole). */
  createJob(
    manifest: Readable,
    contentType: string,
    options: {
      bucket?: string | undefined;
      keyTemplate?: string | undefined;
      overwrite?: string | undefined;
    },
  ): Promise<{ id: string; status: string }> {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(options)) if (value !== undefined) params.set(name, value);
    const suffix = params.size > 0 ? `?${params}` : '';
    return this.#send('POST', `/v1/jobs${suffix}`, {
      headers: { 'content-type': contentType },
      body: Readable.toWeb(manifest) as ReadableStream,
      duplex: 'half',
    });
  }

  getJob(id: string): Promise<PublicJobView> {
    return this.#call('GET', `/v1/jobs/${encodeURIComponent(id)}`);
  }

  #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    return this.#send(
      method,
      path,
      body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
    );
  }

  async #send<T>(
    method: string,
    path: string,
    init: { headers?: Record<string, string>; body?: string | ReadableStream; duplex?: 'half' },
  ): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.#settings.url}${path}`, {
        ...init,
        method,
        headers: { authorization: `Bearer ${this.#settings.key}`, ...init.headers },
      } as RequestInit);
    } catch (error) {
      throw new ApiError(
        0,
        'API_UNREACHABLE',
        `cannot reach the Ferry API at ${this.#settings.url} (${(error as Error).message}); is \`ferry up\` or \`ferry api\` running?`,
      );
    }
    const text = await response.text();
    const json = text ? (JSON.parse(text) as unknown) : {};
    if (!response.ok) {
      const error = (json as { error?: { code?: string; message?: string } }).error;
      throw new ApiError(
        response.status,
        error?.code ?? 'HTTP_ERROR',
        error?.message ?? `HTTP ${response.status}`,
      );
    }
    return json as T;
  }
}
