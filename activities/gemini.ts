import { Context, log } from '@temporalio/activity';
import type { GoogleGenAI } from '@google/genai';
import type { PrismaClient } from '../lib/generated/prisma/client';
import { truncateToCodePoints } from '../lib/transcript/truncate';
import type { Utterance } from '../lib/transcript/types';
import { providerFailure, statusOf } from './provider-failure';
import { timedStep } from './step-timings';
import { loadTranscript } from './transcript-store';
import type { AnalysisActivities } from './types';

// Gemini embeddings of the transcript for semantic search over a rep's calls. The transcript is cut
// into chunks of whole utterances; the Gemini API accepts at most 100 texts per batch request.

export const maxEmbeddingBatchSize = 100;
/** Chunk size in code points; a chunk ends at an utterance boundary unless one utterance alone is longer. */
const chunkCodePoints = 2_000;
const embeddingDimensions = 768;

export interface TranscriptChunk {
  index: number;
  firstUtterance: number;
  lastUtterance: number;
  text: string;
}

export function chunkTranscript(utterances: readonly Utterance[]): TranscriptChunk[] {
  const chunks: TranscriptChunk[] = [];
  let lines: string[] = [];
  let length = 0;
  let first = 0;
  utterances.forEach((utterance, index) => {
    const line = truncateToCodePoints(`${utterance.speaker}: ${utterance.text}`, chunkCodePoints).text;
    const lineLength = [...line].length;
    if (lines.length > 0 && length + lineLength > chunkCodePoints) {
      chunks.push({ index: chunks.length, firstUtterance: first, lastUtterance: index - 1, text: lines.join('\n') });
      lines = [];
      length = 0;
      first = index;
    }
    lines.push(line);
    length += lineLength + 1;
  });
  if (lines.length > 0) {
    chunks.push({
      index: chunks.length,
      firstUtterance: first,
      lastUtterance: utterances.length - 1,
      text: lines.join('\n'),
    });
  }

  return chunks;
}

export function createGeminiActivities(options: {
  genai: GoogleGenAI;
  prisma: PrismaClient;
  model: string;
}): Pick<AnalysisActivities, 'embedTranscript'> {
  const { genai, prisma, model } = options;

  return {
    async embedTranscript({ meetingId }) {
      return timedStep(prisma, meetingId, 'embeddings', async () => {
        const context = Context.current();
        const transcript = await loadTranscript(prisma, meetingId);
        const chunks = chunkTranscript(transcript.utterances);
        // A retried attempt resumes after the last batch its predecessor reported as stored.
        const resumeFrom = typeof context.info.heartbeatDetails === 'number' ? context.info.heartbeatDetails : 0;
        await prisma.transcriptEmbedding.deleteMany({
          where: {
            transcriptId: transcript.id,
            OR: [{ chunkIndex: { gte: chunks.length } }, { model: { not: model } }],
          },
        });

        for (let start = resumeFrom; start < chunks.length; start += maxEmbeddingBatchSize) {
          const batch = chunks.slice(start, start + maxEmbeddingBatchSize);
          const response = await genai.models
            .embedContent({
              model,
              contents: batch.map((chunk) => chunk.text),
              config: {
                taskType: 'RETRIEVAL_DOCUMENT',
                outputDimensionality: embeddingDimensions,
                abortSignal: context.cancellationSignal,
              },
            })
            .catch((error: unknown) => {
              throw providerFailure('gemini', statusOf(error), 'embedContent failed', error);
            });
          const vectors = response.embeddings ?? [];
          if (vectors.length !== batch.length) {
            throw providerFailure(
              'gemini',
              undefined,
              `returned ${vectors.length} embeddings for ${batch.length} texts`,
            );
          }
          await prisma.$transaction(
            batch.map((chunk, position) =>
              prisma.transcriptEmbedding.upsert({
                where: { transcriptId_chunkIndex: { transcriptId: transcript.id, chunkIndex: chunk.index } },
                create: {
                  transcriptId: transcript.id,
                  chunkIndex: chunk.index,
                  firstUtterance: chunk.firstUtterance,
                  lastUtterance: chunk.lastUtterance,
                  model,
                  vector: vectors[position]?.values ?? [],
                },
                update: {
                  firstUtterance: chunk.firstUtterance,
                  lastUtterance: chunk.lastUtterance,
                  model,
                  vector: vectors[position]?.values ?? [],
                },
              }),
            ),
          );
          context.heartbeat(start + batch.length);
        }
        await prisma.callIntelligence.update({ where: { meetingId }, data: { embeddingCount: chunks.length } });
        log.info('Transcript embedded', { meetingId, chunks: chunks.length });

        return { chunks: chunks.length };
      });
    },
  };
}
