import type { Payload, PayloadCodec } from '@temporalio/common';
import express, { type NextFunction, type Request, type Response, Router } from 'express';
import { z } from 'zod';
import type { TConfig } from '../lib/config';
import { AppError, ErrorCode } from '../lib/errors';
import { requireAuth, type TokenVerifier } from './auth';
import { parseOrThrow } from './errors';

// Temporal's remote codec endpoint: Temporal Web and the `temporal` CLI send encrypted payloads here and get
// them back decoded, so operators read workflow inputs and results. Only admins and auditors may decode, and
// only Temporal Web's own origin may call it from a browser.

const ZCodecRequestSchema = z.object({
  payloads: z
    .array(
      z.object({
        metadata: z.record(z.string(), z.base64()).default({}),
        data: z.base64().default(''),
      }),
    )
    .max(1000),
});

const operatorRoles = new Set(['admin', 'auditor']);

export function codecRoutes(deps: { config: TConfig; verifier: TokenVerifier; payloadCodec: PayloadCodec }): Router {
  const router = Router();
  const webOrigin = new URL(deps.config.TEMPORAL_WEB_URL).origin;

  router.use((request: Request, response: Response, next: NextFunction) => {
    if (request.get('origin') === webOrigin) {
      response.setHeader('Access-Control-Allow-Origin', webOrigin);
      response.setHeader('Access-Control-Allow-Credentials', 'true');
      response.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-Namespace');
      response.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      response.setHeader('Vary', 'Origin');
    }
    if (request.method === 'OPTIONS') {
      response.status(204).end();
      return;
    }
    next();
  });
  router.use(requireAuth(deps.verifier), express.json({ limit: '4mb' }));

  for (const direction of ['decode', 'encode'] as const) {
    router.post(`/${direction}`, async (request, response) => {
      if (!operatorRoles.has(request.principal?.role ?? '')) {
        throw new AppError(ErrorCode.Forbidden, 'Only admins and auditors may use the codec endpoint');
      }
      const body = parseOrThrow(ZCodecRequestSchema, request.body);
      const payloads: Payload[] = body.payloads.map((payload) => ({
        metadata: Object.fromEntries(
          Object.entries(payload.metadata).map(([key, value]) => [key, Buffer.from(value, 'base64')]),
        ),
        data: Buffer.from(payload.data, 'base64'),
      }));
      const converted = await (
        direction === 'decode' ? deps.payloadCodec.decode(payloads) : deps.payloadCodec.encode(payloads)
      ).catch((error: unknown) => {
        throw new AppError(
          ErrorCode.InvalidRequest,
          `Payloads could not be ${direction}d: ${(error as Error).message}`,
        );
      });

      response.json({
        payloads: converted.map((payload) => ({
          metadata: Object.fromEntries(
            Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
          ),
          data: Buffer.from(payload.data ?? []).toString('base64'),
        })),
      });
    });
  }

  return router;
}
