import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { createLogger, type Logger } from '../lib/logger';
import { decodeWebhookSecret } from '../lib/standard-webhooks';
import { anthropicRouter } from './anthropic';
import { assemblyaiRouter } from './assemblyai';
import { calcomControlRouter } from './calcom';
import type { SandboxContext } from './context';
import { FaultBook, RequestJournal, sandboxProviders, ZFaultRequestSchema } from './faults';
import { geminiRouter } from './gemini';
import { instantlySandbox } from './instantly';
import { OAuthSandboxState, oauthControlRouter, oauthRouter } from './oauth';
import { recallRouter } from './recall';
import { createStripeSandbox } from './stripe';
import { recallDeletionRouter } from './recall-deletion';
import { ResendOutbox, resendControlRouter, resendRouter } from './resend';
import { Scheduler } from './scheduler';
import { mountSignatureStandIns } from './signatures';
import type { SignatureWebhookTargets } from './signature-webhooks';
import { defaultWebhookRetryDelaysMs } from './webhook-delivery';

// One HTTP server that replaces Recall.ai, Anthropic, AssemblyAI and Gemini under /recall,
// /anthropic, /assemblyai and /gemini, plus /_sandbox control routes that tests and the local start
// command use to script calls, inject faults and read the request journal.

export interface SandboxOptions {
  /** Interface to listen on; loopback by default. */
  host?: string;
  /** Port to listen on; 0 picks any free port. */
  port: number;
  /** URL that receives Recall bot status webhooks. */
  recallWebhookUrl: string;
  /** Standard Webhooks signing secret (`whsec_…`) for Recall webhooks. */
  recallWebhookSecret: string;
  /** URL that receives Stripe events; without it and the secret, the Stripe stand-in sends no webhooks. */
  stripeWebhookUrl?: string;
  /** Stripe endpoint secret (`whsec_…`) events are signed with, in the `Stripe-Signature` header. */
  stripeWebhookSecret?: string;
  /** URL that receives Cal.com booking webhooks; without it and the secret, /_sandbox/calcom is not served. */
  calcomWebhookUrl?: string;
  /** Secret Cal.com bookings are signed with (`X-Cal-Signature-256`). */
  calcomWebhookSecret?: string;
  /** Milliseconds between a bot's status changes, unless the call's scenario sets its own (default 200). */
  stepDelayMs?: number;
  /** Milliseconds an AssemblyAI transcript stays queued before it completes (default 300). */
  audioWebhookDelayMs?: number;
  /** Delays before each webhook retry after a non-2xx response (default 100, 400, 1600 ms). */
  webhookRetryDelaysMs?: readonly number[];
  /** Where the DocuSign Connect and PandaDoc stand-ins send their webhooks, and the keys they sign with. */
  signatureWebhooks?: SignatureWebhookTargets;
  log?: Logger;
}

export interface RunningSandbox {
  /** Base URL, e.g. http://127.0.0.1:3100; provider base URLs are this plus /recall, /anthropic … */
  url: string;
  close(): Promise<void>;
}

const ZScenarioSchema = z.object({
  meetingUrl: z.string().url(),
  utterances: z.array(
    z.object({
      speaker: z.string().min(1),
      text: z.string(),
      startMs: z.number().min(0).optional(),
      endMs: z.number().min(0).optional(),
    }),
  ),
  neverJoin: z.boolean().default(false),
  fatal: z.boolean().default(false),
  stepDelayMs: z.number().int().min(0).max(600_000).optional(),
});

export async function startSandbox(options: SandboxOptions): Promise<RunningSandbox> {
  // Fail at start rather than on the first webhook when the secret cannot sign.
  decodeWebhookSecret(options.recallWebhookSecret);
  const log = options.log ?? createLogger({ name: 'sandbox' });
  let baseUrl = '';
  const context: SandboxContext = {
    baseUrl: () => baseUrl,
    log,
    scheduler: new Scheduler(),
    faults: new FaultBook(),
    journal: new RequestJournal(),
    stepDelayMs: options.stepDelayMs ?? 200,
    audioWebhookDelayMs: options.audioWebhookDelayMs ?? 300,
    webhookRetryDelaysMs: options.webhookRetryDelaysMs ?? defaultWebhookRetryDelaysMs,
    recallWebhookUrl: options.recallWebhookUrl,
    recallWebhookSecret: options.recallWebhookSecret,
    scenarios: new Map(),
    recordings: new Map(),
    oauthAccessTokens: new Map(),
  };

  const app = express();
  app.disable('x-powered-by');
  const resendOutbox = new ResendOutbox();
  app.use('/_sandbox', controlRouter(context));
  app.use('/_sandbox/resend', resendControlRouter(resendOutbox));
  const instantly = instantlySandbox(context);
  app.use('/_sandbox/instantly', instantly.control);
  if (options.calcomWebhookUrl !== undefined && options.calcomWebhookSecret !== undefined) {
    const calcom = { webhookUrl: options.calcomWebhookUrl, webhookSecret: options.calcomWebhookSecret };
    app.use('/_sandbox/calcom', calcomControlRouter(context, calcom));
  }
  app.use('/instantly', instantly.api);
  const oauthState = new OAuthSandboxState();
  app.use('/_sandbox/oauth', oauthControlRouter(oauthState));
  app.use('/recall', recallDeletionRouter(context));
  app.use('/recall', recallRouter(context));
  app.use('/anthropic', anthropicRouter(context));
  app.use('/assemblyai', assemblyaiRouter(context));
  app.use('/gemini', geminiRouter(context));
  const stripe = createStripeSandbox(context, {
    webhookUrl: options.stripeWebhookUrl,
    webhookSecret: options.stripeWebhookSecret,
  });
  app.use('/_sandbox/stripe', stripe.control);
  // The Stripe SDK has no base-path option, so its /v1 routes are served at the root.
  app.use('/v1', stripe.api);
  mountSignatureStandIns(app, context, options.signatureWebhooks ?? {});
  app.use('/oauth', oauthRouter(context, oauthState));
  app.use('/resend', resendRouter(context, resendOutbox));
  app.use((_req: Request, res: Response) => {
    res
      .status(404)
      .json({ error: 'Not found: each provider stand-in lives under its own path, e.g. /recall or /resend' });
  });

  const host = options.host ?? '127.0.0.1';
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(options.port, host, (error?: Error) =>
      error === undefined ? resolve(listening) : reject(error),
    );
  });
  const address = server.address() as AddressInfo;
  baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  log.info({ url: baseUrl }, 'Provider sandbox listening');

  return {
    url: baseUrl,
    close: async () => {
      context.scheduler.close();
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      });
      log.info({ url: baseUrl }, 'Provider sandbox stopped');
    },
  };
}

function controlRouter(context: SandboxContext): express.Router {
  const router = express.Router();
  router.use(express.json({ limit: '20mb' }));

  router.post('/recall/scenarios', (req, res) => {
    const parsed = ZScenarioSchema.safeParse(req.body);
    if (!parsed.success) {
      res.status(400).json({ error: 'Invalid scenario', issues: parsed.error.issues });

      return;
    }

    context.scenarios.set(parsed.data.meetingUrl, parsed.data);
    context.log.info(
      { utterances: parsed.data.utterances.length, neverJoin: parsed.data.neverJoin, fatal: parsed.data.fatal },
      'Recall call scenario registered',
    );

    res.status(201).json({ meetingUrl: parsed.data.meetingUrl, utterances: parsed.data.utterances.length });
  });

  router.post('/faults', (req, res) => {
    const parsed = ZFaultRequestSchema.safeParse(req.body);
    if (!parsed.success) {
      res.status(400).json({ error: 'Invalid fault', issues: parsed.error.issues });

      return;
    }

    context.faults.add(parsed.data);
    context.log.info(
      { provider: parsed.data.provider, fault: parsed.data.fault, times: parsed.data.times },
      'Fault injected',
    );

    res.status(201).json(parsed.data);
  });

  router.delete('/faults', (_req, res) => {
    context.faults.clear();
    res.status(204).end();
  });

  router.get('/requests', (req, res) => {
    const provider = z.enum(sandboxProviders).optional().safeParse(req.query.provider);
    if (!provider.success) {
      res.status(400).json({ error: `Unknown provider; expected one of ${sandboxProviders.join(', ')}` });

      return;
    }

    res.json(context.journal.list(provider.data));
  });

  router.delete('/requests', (_req, res) => {
    context.journal.clear();
    res.status(204).end();
  });

  router.use(((error, _req, res, next) => {
    if ((error as { type?: unknown }).type === 'entity.parse.failed') {
      res.status(400).json({ error: 'The request body is not valid JSON' });

      return;
    }
    next(error);
  }) as express.ErrorRequestHandler);

  return router;
}
