import { ApplicationFailure, Context, log } from '@temporalio/activity';
import { z } from 'zod';
import { ErrorCode } from '../lib/errors';
import type { PrismaClient } from '../lib/generated/prisma/client';
import { parseTranscript } from '../lib/transcript/parse';
import { providerFailure } from './provider-failure';
import { storeTranscript } from './transcript-store';
import type { MeetingActivities } from './types';

// Recall.ai: meeting bots and their transcripts, through its REST API (v1). Recall publishes no
// official Node SDK, so this module contains a small client for the endpoints the product uses.

const ZBotSchema = z.object({
  id: z.string(),
  status_changes: z.array(z.object({ code: z.string() })).default([]),
  recordings: z
    .array(
      z.object({
        id: z.string(),
        media_shortcuts: z
          .object({
            transcript: z
              .object({ data: z.object({ download_url: z.string().nullable() }) })
              .nullable()
              .optional(),
            video_mixed: z
              .object({ data: z.object({ download_url: z.string().nullable() }) })
              .nullable()
              .optional(),
          })
          .default({}),
      }),
    )
    .default([]),
});

export type RecallBot = z.infer<typeof ZBotSchema>;

export class RecallClient {
  constructor(private readonly options: { baseUrl: string; apiKey: string; timeoutMs?: number }) {}

  async createBot(
    body: { meeting_url: string; bot_name: string; metadata: Record<string, string>; recording_config: unknown },
    idempotencyKey: string,
    signal?: AbortSignal,
  ): Promise<RecallBot> {
    return ZBotSchema.parse(
      await this.request('POST', '/api/v1/bot/', { body, headers: { 'Idempotency-Key': idempotencyKey }, signal }),
    );
  }

  async getBot(botId: string, signal?: AbortSignal): Promise<RecallBot> {
    return ZBotSchema.parse(await this.request('GET', `/api/v1/bot/${encodeURIComponent(botId)}/`, { signal }));
  }

  /** Removes a bot that has not joined yet; Recall refuses this for a bot already in a call. */
  async deleteBot(botId: string, signal?: AbortSignal): Promise<void> {
    await this.request('DELETE', `/api/v1/bot/${encodeURIComponent(botId)}/`, { signal });
  }

  /** Deletes the bot's recordings and transcripts stored at Recall; this cannot be undone. */
  async deleteBotMedia(botId: string, signal?: AbortSignal): Promise<void> {
    await this.request('POST', `/api/v1/bot/${encodeURIComponent(botId)}/delete_media/`, { signal });
  }

  async leaveCall(botId: string, signal?: AbortSignal): Promise<void> {
    await this.request('POST', `/api/v1/bot/${encodeURIComponent(botId)}/leave_call/`, { signal });
  }

  /** Downloads a media file (transcript JSON) from a URL that Recall returned on the bot. */
  async download(url: string, signal?: AbortSignal): Promise<string> {
    const response = await fetch(url, { signal: this.withTimeout(signal) });
    if (!response.ok) {
      throw providerFailure('recall', response.status, 'media download failed');
    }

    return response.text();
  }

  private async request(
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string>; signal?: AbortSignal },
  ): Promise<unknown> {
    const response = await fetch(`${this.options.baseUrl.replace(/\/$/, '')}${path}`, {
      method,
      headers: {
        Authorization: `Token ${this.options.apiKey}`,
        Accept: 'application/json',
        ...(options.body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...options.headers,
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: this.withTimeout(options.signal),
    });
    const text = await response.text();
    if (!response.ok) {
      throw providerFailure('recall', response.status, `${method} ${path.replace(/[0-9a-f-]{36}/g, ':id')} failed`);
    }

    return text === '' ? undefined : JSON.parse(text);
  }

  private withTimeout(signal?: AbortSignal): AbortSignal {
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 30_000);

    return signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
  }
}

type RecallActivities = Pick<MeetingActivities, 'createBot' | 'removeBot' | 'storeBotTranscript'>;

export function createRecallActivities({
  recall,
  prisma,
}: {
  recall: RecallClient;
  prisma: PrismaClient;
}): RecallActivities {
  return {
    async createBot({ meetingId, organizationId, meetingUrl, botName, idempotencyKey }) {
      // Look-up first: a bot already recorded for this meeting is reused. The idempotency key covers the
      // window between Recall creating the bot and this activity recording it.
      const meeting = await prisma.meeting.findUnique({ where: { id: meetingId }, select: { botId: true } });
      if (meeting?.botId) {
        return { botId: meeting.botId };
      }
      const bot = await recall.createBot(
        {
          meeting_url: meetingUrl,
          bot_name: botName,
          metadata: { meeting_id: meetingId, organization_id: organizationId },
          recording_config: { transcript: { provider: { meeting_captions: {} } } },
        },
        idempotencyKey,
        Context.current().cancellationSignal,
      );
      await prisma.meeting.update({ where: { id: meetingId }, data: { botId: bot.id } });
      log.info('Recall bot created', { meetingId, botId: bot.id });

      return { botId: bot.id };
    },

    async removeBot({ botId }) {
      const signal = Context.current().cancellationSignal;
      const bot = await recall.getBot(botId, signal).catch((error: unknown) => {
        if (error instanceof ApplicationFailure && error.type === ErrorCode.ProviderRejected) {
          return undefined;
        }
        throw error;
      });
      if (bot === undefined) {
        return { removed: 'already_gone' as const };
      }
      const codes = bot.status_changes.map((change) => change.code);
      if (codes.includes('call_ended') || codes.includes('done') || codes.includes('fatal')) {
        return { removed: 'already_gone' as const };
      }
      const joined = codes.some((code) => code !== 'joining_call' && code !== 'ready');
      if (joined) {
        await recall.leaveCall(botId, signal);
        return { removed: 'left_call' as const };
      }
      await recall.deleteBot(botId, signal);

      return { removed: 'deleted' as const };
    },

    async storeBotTranscript({ meetingId, botId }) {
      const signal = Context.current().cancellationSignal;
      const bot = await recall.getBot(botId, signal);
      const url = bot.recordings[0]?.media_shortcuts.transcript?.data.download_url;
      if (url === undefined || url === null) {
        // Recall sends bot.done before the transcript is always ready; retrying waits for it.
        throw new Error(`Recall has no transcript download URL for bot ${botId} yet`);
      }
      const parsed = parseTranscript(await recall.download(url, signal), 'recall-transcript.json');
      if (parsed.format !== 'recall') {
        throw ApplicationFailure.nonRetryable(
          `Recall returned a ${parsed.format} transcript`,
          ErrorCode.InvalidTranscript,
        );
      }
      const stored = await storeTranscript(prisma, meetingId, parsed);
      log.info('Transcript stored', { meetingId, transcriptId: stored.transcriptId, turns: stored.turns });

      return { transcriptId: stored.transcriptId, turns: stored.turns };
    },
  };
}
