import { ApplicationFailure, Context, log } from '@temporalio/activity';
import type { AssemblyAI, Transcript } from 'assemblyai';
import { ErrorCode } from '../lib/errors';
import type { PrismaClient } from '../lib/generated/prisma/client';
import { providerFailure } from './provider-failure';
import type { RecallClient } from './recall';
import { recordStep } from './step-timings';
import type { AnalysisActivities } from './types';

// AssemblyAI audio intelligence: speaker labels, entities and sentiment over the call's recording.
// The job is submitted with a webhook; the workflow waits for the completion signal, then this module
// stores a summary. The recording's URL comes fresh from Recall.ai because its download links expire.

export interface AssemblyAiActivityOptions {
  assembly: AssemblyAI;
  recall: RecallClient;
  prisma: PrismaClient;
  webhookUrl: string;
  webhookHeaderName: string;
  webhookSecret: string;
}

export function createAssemblyAiActivities(
  options: AssemblyAiActivityOptions,
): Pick<AnalysisActivities, 'submitAudioIntelligence' | 'storeAudioIntelligence'> {
  const { assembly, recall, prisma } = options;

  return {
    async submitAudioIntelligence({ meetingId }) {
      // Look-up first: AssemblyAI takes no idempotency key, so a job already recorded is reused.
      // NOTE: a worker lost after AssemblyAI accepted the job but before the id below is stored submits a
      // second job on retry. The first job's webhook is then rejected as unknown.
      const existing = await prisma.callIntelligence.findUniqueOrThrow({
        where: { meetingId },
        select: { audioTranscriptId: true, meeting: { select: { botId: true } } },
      });
      if (existing.audioTranscriptId !== null) {
        return { audioTranscriptId: existing.audioTranscriptId };
      }
      const botId = existing.meeting.botId;
      if (botId === null) {
        throw ApplicationFailure.nonRetryable(`Meeting ${meetingId} has no bot recording`, ErrorCode.NotFound);
      }
      const bot = await recall.getBot(botId, Context.current().cancellationSignal);
      const audioUrl = bot.recordings[0]?.media_shortcuts.video_mixed?.data.download_url;
      if (!audioUrl) {
        throw ApplicationFailure.nonRetryable(`Recall has no recording for bot ${botId}`, ErrorCode.NotFound);
      }

      // NOTE: the assemblyai SDK (4.41) turns every HTTP error into a plain Error without its status, so
      // a rejection cannot be distinguished from an outage here. All of them are left to the retry policy.
      const submitted = await assembly.transcripts
        .submit({
          audio_url: audioUrl,
          speaker_labels: true,
          entity_detection: true,
          sentiment_analysis: true,
          webhook_url: options.webhookUrl,
          webhook_auth_header_name: options.webhookHeaderName,
          webhook_auth_header_value: options.webhookSecret,
        })
        .catch((error: unknown) => {
          throw providerFailure('assemblyai', undefined, 'transcript submission failed', error);
        });
      await prisma.callIntelligence.update({ where: { meetingId }, data: { audioTranscriptId: submitted.id } });
      log.info('Audio intelligence submitted', { meetingId, audioTranscriptId: submitted.id });

      return { audioTranscriptId: submitted.id };
    },

    async storeAudioIntelligence({ meetingId, audioTranscriptId }) {
      const startedAt = new Date();
      const transcript = await assembly.transcripts.get(audioTranscriptId).catch((error: unknown) => {
        throw providerFailure('assemblyai', undefined, 'transcript retrieval failed', error);
      });
      if (transcript.status === 'error') {
        return { status: 'error' as const };
      }
      if (transcript.status !== 'completed') {
        // The workflow calls this only after the webhook or its timeout, so a job still processing is retried later.
        throw new Error(`AssemblyAI transcript ${audioTranscriptId} is still ${transcript.status}`);
      }
      await prisma.callIntelligence.update({
        where: { meetingId },
        data: { audioIntelligence: summariseAudioIntelligence(transcript) },
      });
      await recordStep(prisma, meetingId, 'audio_intelligence', startedAt);

      return { status: 'completed' as const };
    },
  };
}

/** Keeps the per-speaker sentiment and the entities found; the words themselves are already in our transcript. */
function summariseAudioIntelligence(transcript: Transcript) {
  const sentimentBySpeaker: Record<string, { positive: number; neutral: number; negative: number }> = {};
  for (const result of transcript.sentiment_analysis_results ?? []) {
    const speaker = result.speaker ?? 'unknown';
    const counts = (sentimentBySpeaker[speaker] ??= { positive: 0, neutral: 0, negative: 0 });
    if (result.sentiment === 'POSITIVE') counts.positive += 1;
    else if (result.sentiment === 'NEGATIVE') counts.negative += 1;
    else counts.neutral += 1;
  }
  const entityCounts: Record<string, number> = {};
  for (const entity of transcript.entities ?? []) {
    entityCounts[entity.entity_type] = (entityCounts[entity.entity_type] ?? 0) + 1;
  }

  return {
    audioTranscriptId: transcript.id,
    audioDurationSeconds: transcript.audio_duration ?? null,
    speakerLabels: [...new Set((transcript.utterances ?? []).map((utterance) => utterance.speaker))].sort(),
    utteranceCount: transcript.utterances?.length ?? 0,
    sentimentBySpeaker,
    entities: (transcript.entities ?? []).map((entity) => ({ type: entity.entity_type, text: entity.text })),
    entityCounts,
  };
}
