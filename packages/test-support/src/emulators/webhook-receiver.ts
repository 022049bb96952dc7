import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedWebhook {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** What the receiver answered. */
  status: number;
}

export interface WebhookReceiver {
  /** http://127.0.0.1:<port>; any path is accepted. */
  url: string;
  /** Every POST so far, in arrival order. */
  received(): ReceivedWebhook[];
  /** The next requests are answered with these statuses, in turn; after them, 204. */
  answerWith(...statuses: number[]): void;
  /**
   * Verifies a request with the `standardwebhooks` package (an implementation independent of
   * Ferry's): returns the parsed payload, or throws WebhookVerificationError.
   */
  verify(request: ReceivedWebhook, secret: string): unknown;
  close(): Promise<void>;
}

/** A real HTTP server that takes webhook deliveries and answers as the test scripts it. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const answers: number[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const status = answers.shift() ?? 204;
      received.push({
        path: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        status,
      });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? '' : 'receiver says no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received: () => [...received],
    answerWith: (...statuses) => answers.push(...statuses),
    verify: (request, secret) =>
      new Webhook(secret).verify(request.body, {
        'webhook-id': String(request.headers['webhook-id'] ?? ''),
        'webhook-timestamp': String(request.headers['webhook-timestamp'] ?? ''),
        'webhook-signature': String(request.headers['webhook-signature'] ?? ''),
      }),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
