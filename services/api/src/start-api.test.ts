import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { serviceEnv, uniqueName } from '@ferry/test-support';
import { describe, expect, it } from 'vitest';
import { buildApi } from './app.ts';
import { parseApiConfig } from './env.ts';
import { closeBounded, startApi } from './start-api.ts';
import { importRequest, KEYS, TENANTS } from './testing/api-harness.ts';

const env = () => ({
  ...serviceEnv(uniqueName('api-start')),
  FERRY_API_KEYS: `${KEYS.a}:${TENANTS.a}`,
  PORT: '0',
  HOST: '127.0.0.1',
});

describe('startApi', () => {
  it('listens, serves authenticated requests over HTTP, and closes', async () => {
    const api = await startApi(env());
    try {
      expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
      const created = await fetch(`${api.url}/v1/imports`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEYS.a}`, 'content-type': 'application/json' },
        // A literal address: the real resolver is in use, and this machine may have no DNS.
        body: JSON.stringify(importRequest('start.bin', 'http://127.0.0.1:9/start.bin')),
      });
      expect(created.status).toBe(202);
    } finally {
      await api.close();
    }
    await expect(fetch(`${api.url}/healthz`)).rejects.toThrow();
  });

  it('reports a usable URL when bound to every interface', async () => {
    const api = await startApi({ ...env(), HOST: '0.0.0.0' });
    try {
      expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
    } finally {
      await api.close();
    }
  });

  it('refuses to start without FERRY_SECRET_KEY, unless in dev mode (FERRY_DEV=1)', async () => {
    await expect(startApi({ ...env(), FERRY_SECRET_KEY: '' })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/FERRY_SECRET_KEY/),
    });
    const api = await startApi({ ...env(), FERRY_SECRET_KEY: '', FERRY_DEV: '1' });
    await api.close();
  });

  it('refuses a bad configuration before opening anything', async () => {
    await expect(startApi({ ...env(), FERRY_API_KEYS: 'no-tenant-here' })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/FERRY_API_KEYS/),
    });
  });
});

describe('closeBounded', () => {
  it('cuts requests still in flight at the deadline', async () => {
    const app = buildApi(parseApiConfig(env()));
    let entered!: () => void;
    const inFlight = new Promise<void>((resolve) => {
      entered = resolve;
    });
    // A handler that never answers stands for a stuck request.
    app.get('/stuck', () => {
      entered();
      return new Promise(() => {});
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    const request = fetch(`http://127.0.0.1:${port}/stuck`).catch((error: unknown) => error);
    await inFlight;

    const started = Date.now();
    await closeBounded(app, 300);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await request).toBeInstanceOf(Error);
  });
});

describe('while closing', () => {
  it('finishes the request in flight and refuses the next one on that connection with 503', async () => {
    const app = buildApi(parseApiConfig(env()));
    let entered!: () => void;
    const inFlight = new Promise<void>((resolve) => {
      entered = resolve;
    });
    app.get('/slow', async () => {
      entered();
      await new Promise((resolve) => setTimeout(resolve, 300));
      return { slow: 'done' };
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };

    // Two requests on one kept-alive connection; the second is sent once closing began.
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString();
    });
    const ended = new Promise((resolve) => socket.on('close', resolve));
    socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
    await inFlight;
    const closed = closeBounded(app, 5000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    const started = Date.now();
    await closed;
    await ended;
    // The refusal closed the connection, so closing did not have to wait for the deadline.
    expect(Date.now() - started).toBeLessThan(2000);

    const [first, second] = received.split(/(?=HTTP\/1\.1 )/);
    expect(first).toMatch(/^HTTP\/1\.1 200/);
    expect(first).toContain('{"slow":"done"}');
    expect(second).toMatch(/^HTTP\/1\.1 503/);
    expect(second).toMatch(/connection: close/i);
    expect(second).toContain('"code":"UNAVAILABLE"');
  });
});

describe('main.ts', () => {
  it('starts from the environment and exits 0 on SIGTERM', async () => {
    const main = fileURLToPath(new URL('./main.ts', import.meta.url));
    const child = spawn(process.execPath, [main], {
      env: { ...process.env, ...env(), LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await expect.poll(() => output, { timeout: 20_000 }).toMatch(/Server listening at/);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('"msg":"stopping"');
    expect(output).not.toContain(KEYS.a);
  });

  it('exits 1 with the variable named when the configuration is bad', async () => {
    const main = fileURLToPath(new URL('./main.ts', import.meta.url));
    const child = spawn(process.execPath, [main], {
      env: { ...process.env, ...env(), FERRY_API_KEYS: `${KEYS.a}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(output).toContain('FERRY_API_KEYS');
    expect(output).not.toContain(KEYS.a);
  });
});
