import { timingSafeEqual } from 'node:crypto';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import express, { type Request, Router } from 'express';
import { z } from 'zod';
import type { TConfig } from '../lib/config';
import { AppError, ErrorCode } from '../lib/errors';
import { Prisma, type PrismaClient } from '../lib/generated/prisma/client';
import type { WebhookSecrets } from '../lib/local-secrets';
import type { Logger } from '../lib/logger';
import { verifyWebhook, WebhookVerificationError } from '../lib/standard-webhooks';
import { botStatusChangedSignal, meetingWorkflowId } from '../workflows/meeting-lifecycle';
import { analysisWorkflowId, audioIntelligenceCompletedSignal } from '../workflows/post-call-analysis';
import { webhookRateLimit } from './security';

// Provider webhooks. Each handler first verifies the delivery over its raw bytes and trusts only ids it
// can find in the database. It records the provider's event id once, so a repeat gets 200 and goes no
// further, and hands the event to the waiting workflow as a signal. Nothing here starts new work.

const webhookBodyLimit = '256kb';

const ZRecallEventSchema = z.object({
  event: z.string().min(1),
  data: z.object({
    data: z.object({
      code: z.string().min(1),
      sub_code: z.string().nullable().optional(),
      updated_at: z.string().optional(),
    }),
    bot: z.object({ id: z.string().min(1) }),
  }),
});

const ZAssemblyAiEventSchema = z.object({
  transcript_id: z.string().min(1),
  status: z.enum(['completed', 'error']),
});

export interface WebhookRouteDeps {
  config: TConfig;
  prisma: PrismaClient;
  temporal: Client;
  logger: Logger;
  secrets: WebhookSecrets;
  perMinute: number;
}

export function webhookRoutes(deps: WebhookRouteDeps): Router {
  const router = Router();
  const rawBody = express.raw({ type: () => true, limit: webhookBodyLimit });

  router.post('/recall', webhookRateLimit('recall', deps.perMinute), rawBody, async (request, response) => {
    const body = requireRawJsonBody(request);
    let messageId: string;
    try {
      ({ messageId } = verifyWebhook({
        secret: deps.secrets.recallWebhookSecret,
        headers: request.headers,
        rawBody: body,
      }));
    } catch (error) {
      if (error instanceof WebhookVerificationError) {
        const code = error.reason === 'stale' ? ErrorCode.StaleWebhook : ErrorCode.InvalidSignature;
        deps.logger.warn({ provider: 'recall', reason: error.reason }, 'Webhook rejected');
        throw new AppError(code, error.message);
      }
      throw error;
    }

    const event = ZRecallEventSchema.safeParse(parseJson(body));
    if (!event.success || !event.data.event.startsWith('bot.')) {
      response.status(200).json({ received: true, ignored: 'event type not handled' });
      return;
    }
    const { bot, data } = event.data.data;
    const meeting = await deps.prisma.meeting.findUnique({ where: { botId: bot.id }, select: { id: true } });
    if (meeting === null) {
      deps.logger.warn({ provider: 'recall', botId: bot.id, messageId }, 'Webhook for an unknown bot rejected');
      throw new AppError(ErrorCode.UnknownWebhookSubject, 'No meeting has this bot id');
    }

    const outcome = await deliverOnce(
      deps,
      { provider: 'recall', eventId: messageId, eventType: event.data.event, subjectId: meeting.id },
      () =>
        deps.temporal.workflow
          .getHandle(meetingWorkflowId(meeting.id))
          .signal(botStatusChangedSignal, { botId: bot.id, code: data.code, subCode: data.sub_code ?? null }),
    );
    response.status(200).json({ received: true, outcome });
  });

  router.post('/assemblyai', webhookRateLimit('assemblyai', deps.perMinute), rawBody, async (request, response) => {
    const expected = Buffer.from(deps.secrets.assemblyWebhookSecret);
    const presented = Buffer.from(request.get(deps.config.ASSEMBLYAI_WEBHOOK_HEADER_NAME) ?? '');
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
      deps.logger.warn({ provider: 'assemblyai' }, 'Webhook rejected');
      throw new AppError(
        ErrorCode.InvalidSignature,
        `Missing or wrong ${deps.config.ASSEMBLYAI_WEBHOOK_HEADER_NAME} header`,
      );
    }
    const event = ZAssemblyAiEventSchema.safeParse(parseJson(requireRawJsonBody(request)));
    if (!event.success) {
      throw new AppError(ErrorCode.InvalidRequest, 'Expected { transcript_id, status: "completed" | "error" }');
    }
    const { transcript_id: audioTranscriptId, status } = event.data;
    const intelligence = await deps.prisma.callIntelligence.findUnique({
      where: { audioTranscriptId },
      select: { meetingId: true },
    });
    if (intelligence === null) {
      deps.logger.warn({ provider: 'assemblyai', audioTranscriptId }, 'Webhook for an unknown transcript rejected');
      throw new AppError(ErrorCode.UnknownWebhookSubject, 'No analysis has this transcript id');
    }

    // AssemblyAI sends no event id; a transcript reaches each final status once, so the pair identifies the event.
    const eventId = `${audioTranscriptId}:${status}`;
    const outcome = await deliverOnce(
      deps,
      { provider: 'assemblyai', eventId, eventType: `transcript.${status}`, subjectId: intelligence.meetingId },
      () =>
        deps.temporal.workflow
          .getHandle(analysisWorkflowId(intelligence.meetingId))
          .signal(audioIntelligenceCompletedSignal, { audioTranscriptId, status }),
    );
    response.status(200).json({ received: true, outcome });
  });

  return router;
}

export function requireRawJsonBody(request: Request): Buffer {
  if (!request.is('application/json')) {
    throw new AppError(ErrorCode.UnsupportedMediaType, 'Webhook bodies must be application/json');
  }
  if (!Buffer.isBuffer(request.body) || request.body.length === 0) {
    throw new AppError(ErrorCode.InvalidJson, 'Webhook body is empty');
  }

  return request.body;
}

/** Parses a verified raw webhook body, throwing 400 invalid_json when it is not JSON. */
export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new AppError(ErrorCode.InvalidJson, 'Webhook body is not valid JSON');
  }
}

/**
 * Records the event id, then signals. A repeated id is a duplicate and is not signalled again. If the
 * signal cannot be sent, the record is removed so the provider's retry is processed in full.
 */
export async function deliverOnce(
  deps: Pick<WebhookRouteDeps, 'prisma' | 'logger'>,
  event: { provider: string; eventId: string; eventType: string; subjectId: string },
  signal: () => Promise<void>,
): Promise<'signalled' | 'duplicate' | 'workflow_closed'> {
  let recordId: string;
  try {
    ({ id: recordId } = await deps.prisma.webhookEvent.create({ data: event, select: { id: true } }));
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
      deps.logger.info({ provider: event.provider, eventId: event.eventId }, 'Duplicate webhook ignored');
      return 'duplicate';
    }
    throw error;
  }

  try {
    await signal();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) {
      deps.logger.info(
        { provider: event.provider, eventId: event.eventId, subjectId: event.subjectId },
        'Webhook for a closed workflow kept without a signal',
      );
      return 'workflow_closed';
    }
    await deps.prisma.webhookEvent.delete({ where: { id: recordId } });
    deps.logger.error({ err: error, provider: event.provider, eventId: event.eventId }, 'Webhook signal failed');
    throw new AppError(ErrorCode.ServiceUnavailable, 'The event could not be handed to its workflow; retry later');
  }
  deps.logger.info(
    { provider: event.provider, eventId: event.eventId, eventType: event.eventType, subjectId: event.subjectId },
    'Webhook delivered',
  );

  return 'signalled';
}
