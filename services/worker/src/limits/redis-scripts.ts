import type { Redis } from 'ioredis';

export type RedisScript = (...keysThenArgs: (string | number)[]) => Promise<unknown>;

/**
 * Registers a Lua script on the client (ioredis sends EVALSHA and loads it on NOSCRIPT) and returns
 * a typed caller; `name` must be unique per client.
 */
export function defineScript(client: Redis, name: string, numberOfKeys: number, lua: string): RedisScript {
  client.defineCommand(name, { numberOfKeys, lua });
  const command = (client as unknown as Record<string, RedisScript | undefined>)[name];
  if (!command) throw new Error(`ioredis did not define the script ${name}`);
  return command.bind(client);
}
