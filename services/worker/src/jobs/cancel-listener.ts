import type { Redis } from '@ferry/shared';

export interface CancelListener {
  /** Resolves once the subscription is in place. */
  ready: Promise<void>;
  close(): Promise<void>;
}

/**
 * Subscribes (on its own connection: a subscribed client can do nothing else) to the queue's
 * cancel channel, where the API publishes the id of each import it marks canceled. ioredis
 * re-subscribes after a reconnect; a message lost meanwhile is caught by the progress tick's
 * status check. `connect` gives a client that logs its own outages.
 */
export function listenForCancels(
  connect: () => Redis,
  channel: string,
  onCancel: (importId: string) => void,
): CancelListener {
  const subscriber = connect();
  subscriber.on('message', (from: string, message: string) => {
    if (from === channel) onCancel(message.trim());
  });
  const ready = subscriber.subscribe(channel).then(() => undefined);
  ready.catch(() => {});
  return {
    ready,
    close: async () => {
      subscriber.disconnect();
    },
  };
}
