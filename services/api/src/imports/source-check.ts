import { checkSourceUrl, type ResolveAll, type Source } from '@ferry/shared';

/**
 * Refuses sources the API must not make workers fetch (SSRF): an early, clear 4xx. Workers apply
 * the same address policy again when they connect, which also covers DNS answers that change.
 */
export async function checkSource(
  source: Source,
  allowPrivate: boolean,
  resolveAll: ResolveAll,
): Promise<void> {
  switch (source.type) {
    case 'http':
      await checkSourceUrl(source.url, allowPrivate, resolveAll);
      return;
    case 's3':
      // Read through the AWS SDK (the worker's credentials or an assumed role), never a URL the client chose.
      return;
    case 'dropbox':
    case 'gdrive':
      // Read from the provider's API at the configured base URLs, never a URL the client chose.
      return;
  }
}

/**
 * A resolver for one batch: each distinct host is looked up once, and at most `concurrency`
 * lookups run at a time, so a thousand items naming one host cost one DNS query, not a thousand.
 */
export function batchResolver(resolveAll: ResolveAll, concurrency = 16): ResolveAll {
  const byHost = new Map<string, ReturnType<ResolveAll>>();
  const waiting: (() => void)[] = [];
  let running = 0;

  // A finished lookup hands its slot straight to the next waiter, so `running` never overshoots.
  const acquire = async (): Promise<void> => {
    if (running < concurrency) {
      running++;
      return;
    }
    await new Promise<void>((resolve) => waiting.push(resolve));
  };
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else running--;
  };
  const limited: ResolveAll = async (hostname) => {
    await acquire();
    try {
      return await resolveAll(hostname);
    } finally {
      release();
    }
  };

  return (hostname) => {
    let lookup = byHost.get(hostname);
    if (!lookup) {
      lookup = limited(hostname);
      byHost.set(hostname, lookup);
    }
    return lookup;
  };
}
