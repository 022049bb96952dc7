import { startServedFile } from './served-file.ts';
import { startThrottleProxy, type ThrottleProxy } from './throttle-proxy.ts';

export interface ThrottledFile {
  file: { dir: string; name: string; sha256: string };
  /** Its rate can change while a test runs; it records every request and the bytes it sent. */
  proxy: ThrottleProxy;
  /** The file's URL through the proxy. */
  url: string;
  close(): Promise<void>;
}

/**
 * A random file served with ranges through a throttling proxy: for tests that act (drain, kill,
 * lose a lock) while an import is mid-transfer, and count what was fetched again.
 */
export async function startThrottledFile(size: number, bytesPerSecond: number): Promise<ThrottledFile> {
  const served = await startServedFile(size);
  const proxy = await startThrottleProxy(served.source.url, bytesPerSecond);
  return {
    file: served.file,
    proxy,
    url: `${proxy.url}/${served.file.name}`,
    close: async () => {
      await proxy.close();
      await served.close();
    },
  };
}
