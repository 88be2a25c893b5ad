import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import type { SandboxContext } from './context';
import type { TSandboxProvider } from './faults';

// The steps every provider request passes before its route: it is journaled, delayed by a latency
// fault, checked for the provider's auth header, then failed by a rate_limit or server_error fault.
// Auth comes first so that a request without a key gets the provider's auth error even while a fault is active.

export interface ProviderErrors {
  unauthenticated: (res: Response) => void;
  invalidJson: (res: Response) => void;
  rateLimited: (res: Response, retryAfterSeconds: number) => void;
  serverError: (res: Response) => void;
}

export interface ProviderGateOptions {
  provider: TSandboxProvider;
  errors: ProviderErrors;
  isAuthenticated: (req: Request) => boolean;
  /** Requests that bypass the gate, such as pre-signed media downloads. */
  bypass?: (req: Request) => boolean;
}

/** Seconds sent in `retry-after` for an injected rate limit: short, so retrying clients recover in tests. */
export const injectedRetryAfterSeconds = 1;

export function providerGate(context: SandboxContext, options: ProviderGateOptions): RequestHandler {
  return async (req, res, next) => {
    if (options.bypass?.(req) === true) {
      next();

      return;
    }

    context.journal.record({
      provider: options.provider,
      method: req.method,
      path: req.baseUrl + req.path,
      idempotencyKey: req.get('idempotency-key') ?? null,
      at: new Date().toISOString(),
    });

    const latency = context.faults.take(options.provider, 'latency');
    if (latency !== undefined) {
      try {
        await context.scheduler.sleep(latency.latencyMs);
      } catch {
        res.destroy();

        return;
      }
    }

    if (!options.isAuthenticated(req)) {
      options.errors.unauthenticated(res);

      return;
    }
    if (context.faults.take(options.provider, 'rate_limit') !== undefined) {
      res.set('retry-after', String(injectedRetryAfterSeconds));
      options.errors.rateLimited(res, injectedRetryAfterSeconds);

      return;
    }
    if (context.faults.take(options.provider, 'server_error') !== undefined) {
      options.errors.serverError(res);

      return;
    }

    next();
  };
}

/** Parses JSON bodies and returns parse failures in the provider's own 400 shape. */
export function providerJsonBody(errors: ProviderErrors): [RequestHandler, ErrorRequestHandler] {
  const parse = express.json({ limit: '20mb', type: () => true });
  const onParseError: ErrorRequestHandler = (error: unknown, _req, res, next) => {
    const type = (error as { type?: unknown }).type;
    if (type === 'entity.parse.failed' || type === 'encoding.unsupported' || type === 'charset.unsupported') {
      errors.invalidJson(res);

      return;
    }
    next(error);
  };

  return [parse, onParseError];
}

/** Returns the trimmed header value, or undefined when it is absent or blank. */
export function nonEmptyHeader(req: Request, name: string): string | undefined {
  const value = req.get(name)?.trim();

  return value === undefined || value === '' ? undefined : value;
}
