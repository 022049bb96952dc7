import type { PauseWindow, RequestRecord } from '@ferry/test-support';
import { Child } from './processes.ts';

export interface EmulatedDropboxFile {
  path: string;
  size: number;
  contentHash: string;
}

export interface EmulatorReport {
  requests: RequestRecord[];
  pauses: PauseWindow[];
  /** Requests that arrived inside a pause, past the grace asked for. */
  duringPauses: RequestRecord[];
}

/** bench/dropbox-emulator-server.ts, driven over its control origin. */
export class DropboxEmulatorProcess {
  readonly child: Child;
  /** DROPBOX_API_URL and DROPBOX_CONTENT_URL for the workers: one origin answers both. */
  readonly url: string;
  readonly #control: string;

  private constructor(child: Child, url: string, control: string) {
    this.child = child;
    this.url = url;
    this.#control = control;
  }

  static async start(requestsPerSecond: number): Promise<DropboxEmulatorProcess> {
    const script = new URL('./dropbox-emulator-server.ts', import.meta.url).pathname;
    const child = new Child('dropbox emulator', process.execPath, [script, String(requestsPerSecond)], {});
    const [url, control] = (await child.firstLine()).split(' ');
    if (!url || !control) throw new Error(`the dropbox emulator printed no URLs: ${child.output()}`);
    return new DropboxEmulatorProcess(child, url, control);
  }

  addFiles(count: number, size: number): Promise<EmulatedDropboxFile[]> {
    return this.#call('POST', '/files', { count, size });
  }

  async issueAccessToken(): Promise<string> {
    return (await this.#call<{ token: string }>('POST', '/token', {})).token;
  }

  /** Sets the account's limit and forgets the requests and pauses seen so far. */
  async setLimit(requestsPerSecond: number): Promise<void> {
    await this.#call('POST', '/limit', { requestsPerSecond });
  }

  report(graceMs: number): Promise<EmulatorReport> {
    return this.#call('GET', `/report?graceMs=${graceMs}`);
  }

  stop(): Promise<void> {
    return this.child.stop();
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.#control}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const answer = (await response.json()) as T & { error?: string };
    if (!response.ok) throw new Error(`dropbox emulator ${path}: ${answer.error ?? response.status}`);
    return answer;
  }
}
