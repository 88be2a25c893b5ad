import type { Request } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import { ErrorCode } from '../lib/errors';

// Security headers and rate limits. Helmet's defaults differ from the product's rules (it sends
// X-Frame-Options SAMEORIGIN, Referrer-Policy no-referrer and allows inline styles), so each header is
// set explicitly here.

export function securityHeaders() {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        upgradeInsecureRequests: [],
      },
    },
    strictTransportSecurity: { maxAge: 63_072_000, includeSubDomains: true, preload: true },
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    xContentTypeOptions: true,
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
}

function limitExceeded(message: string) {
  return { error: { code: ErrorCode.RateLimited, message } };
}

/** Per signed-in user on /api routes. It runs after sign-in, so the address key is only a fallback. */
export function apiRateLimit(perMinute: number) {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (request: Request) => request.principal?.userId ?? ipKeyGenerator(request.ip ?? 'unknown'),
    message: limitExceeded(`More than ${perMinute} requests a minute; slow down and retry after the reset time`),
  });
}

/**
 * Per address on /api routes before sign-in, counting only requests rejected as unauthenticated. It runs
 * ahead of token verification, which the per-user limit cannot, so a stream of bad tokens is cut off too.
 */
export function unauthenticatedRateLimit(perMinute: number) {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (request: Request) => `unauthenticated:${ipKeyGenerator(request.ip ?? 'unknown')}`,
    // A request is counted on arrival and given back when it ends with any status other than 401.
    skipSuccessfulRequests: true,
    requestWasSuccessful: (_request, response) => response.statusCode !== 401,
    message: limitExceeded(
      `More than ${perMinute} unauthenticated requests a minute from this address; send a valid bearer token`,
    ),
  });
}

/** Per provider endpoint and sender address on /webhooks routes: tighter than the API, as senders are machines. */
export function webhookRateLimit(provider: string, perMinute: number) {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (request: Request) => `${provider}:${ipKeyGenerator(request.ip ?? 'unknown')}`,
    message: limitExceeded(`More than ${perMinute} ${provider} webhooks a minute from this address`),
  });
}

/**
 * Per sender address on every route, health checks included: a ceiling far above the per-user and per-provider
 * limits, so it stops only a flood that those limits do not see.
 */
export function baselineRateLimit(perMinute: number) {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (request: Request) => ipKeyGenerator(request.ip ?? 'unknown'),
    message: limitExceeded(`More than ${perMinute} requests a minute from this address`),
  });
}
