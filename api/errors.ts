import type { NextFunction, Request, Response } from 'express';
import type { z } from 'zod';
import { AppError, ErrorCode, type TErrorCode } from '../lib/errors';
import type { Logger } from '../lib/logger';

// The one place that turns errors into HTTP responses: `{ error: { code, message } }`. A 5xx hides its
// cause from the caller and logs it with the request id instead.

export function sendError(response: Response, status: number, code: TErrorCode, message: string): void {
  response.status(status).json({ error: { code, message } });
}

/** Converts a zod failure into an invalid_request error naming the first fields at fault. */
export function invalidRequest(error: z.ZodError, what = 'request body'): AppError {
  const fields = error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');

  return new AppError(ErrorCode.InvalidRequest, `Invalid ${what}: ${fields}`);
}

export function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, what?: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw invalidRequest(parsed.error, what);
  }

  return parsed.data;
}

export function notFoundHandler(request: Request, response: Response): void {
  sendError(response, 404, ErrorCode.NotFound, `No route for ${request.method} ${request.path}`);
}

export function errorHandler(logger: Logger) {
  return (error: unknown, request: Request, response: Response, _next: NextFunction): void => {
    if (error instanceof AppError) {
      sendError(response, error.httpStatus, error.code, error.message);
      return;
    }
    // body-parser marks its own errors with `type` and an HTTP status.
    const bodyError = error as { type?: string; status?: number };
    if (bodyError.type === 'entity.too.large') {
      sendError(response, 413, ErrorCode.PayloadTooLarge, 'Request body is larger than this endpoint accepts');
      return;
    }
    if (bodyError.type === 'entity.parse.failed') {
      sendError(response, 400, ErrorCode.InvalidJson, 'Request body is not valid JSON');
      return;
    }
    if (typeof bodyError.status === 'number' && bodyError.status >= 400 && bodyError.status < 500) {
      sendError(response, bodyError.status, ErrorCode.InvalidRequest, 'The request could not be read');
      return;
    }
    logger.error({ err: error, requestId: response.locals.requestId, path: request.path }, 'Request failed');
    sendError(
      response,
      500,
      ErrorCode.Internal,
      `Internal error; quote request id ${String(response.locals.requestId)}`,
    );
  };
}
