import { errorType, ferryTracer, markFailed, redactUrl, tracingActive } from '@ferry/shared';
import { context, propagation, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { PartStream, PartStreamHandlers } from '../bytes/part-stream.ts';
import type { Method, PooledResponse } from './http1-exchange.ts';

/**
 * The client span of one request of the hand-written HTTP/1 client, with the attributes undici's
 * instrumentation gives its requests (HTTP semantic conventions): method, the URL without query or
 * userinfo (signed URLs), server address and port, status code, error.type; never a header value.
 * Like undici's it injects `traceparent` into the request and ends once the response body has
 * ended, failed or been dropped.
 */
export class Http1ClientSpan {
  readonly #span: Span;
  /** The propagation headers to send with the request. */
  readonly headers: Record<string, string> = {};

  /** A span for this request, or null while tracing is off (nothing is allocated then). */
  static start(method: Method, url: URL): Http1ClientSpan | null {
    return tracingActive() ? new Http1ClientSpan(method, url) : null;
  }

  private constructor(method: Method, url: URL) {
    const secure = url.protocol === 'https:';
    this.#span = ferryTracer.startSpan(method, {
      kind: SpanKind.CLIENT,
      attributes: {
        'http.request.method': method,
        'url.full': redactUrl(url),
        'url.scheme': secure ? 'https' : 'http',
        'server.address': url.hostname.replace(/^\[|\]$/g, ''),
        'server.port': Number(url.port) || (secure ? 443 : 80),
        'network.protocol.version': '1.1',
      },
    });
    propagation.inject(trace.setSpan(context.active(), this.#span), this.headers);
  }

  /** The response head arrived; the span ends with its body. */
  answered(response: PooledResponse): PooledResponse {
    this.#span.setAttribute('http.response.status_code', response.statusCode);
    if (response.statusCode >= 400) {
      this.#span.setAttribute('error.type', String(response.statusCode));
      this.#span.setStatus({ code: SpanStatusCode.ERROR });
    }
    return { ...response, body: this.#endingWith(response.body) };
  }

  /** No response: connecting, sending or the head failed. */
  failed(error: unknown): void {
    markFailed(this.#span, error);
    this.#span.end();
  }

  /** The body as it was, but the span ends with it. Pieces pass straight through: nothing per chunk. */
  #endingWith(body: PartStream): PartStream {
    let ended = false;
    const end = (error?: Error): void => {
      if (ended) return;
      ended = true;
      if (error) this.#span.setAttribute('error.type', errorType(error));
      this.#span.end();
    };
    return {
      start: (handlers: PartStreamHandlers) =>
        body.start({
          piece: handlers.piece,
          end: () => {
            end();
            handlers.end();
          },
          error: (error) => {
            end(error);
            handlers.error(error);
          },
        }),
      pause: () => body.pause(),
      resume: () => body.resume(),
      destroy: () => {
        end();
        body.destroy();
      },
    };
  }
}
