import type Anthropic from '@anthropic-ai/sdk';
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import { ErrorCode } from '../lib/errors';
import type { PrismaClient } from '../lib/generated/prisma/client';
import {
  callAnalysisInputSchema,
  callAnalysisToolName,
  type TCallAnalysis,
  type TEvidence,
  ZCallAnalysisSchema,
} from '../lib/schemas/intelligence';
import { renderTranscriptForPrompt } from '../lib/transcript/render';
import { truncateToCodePoints } from '../lib/transcript/truncate';
import type { Utterance } from '../lib/transcript/types';
import { providerFailure, statusOf, withHeartbeats } from './provider-failure';
import { timedStep } from './step-timings';
import { loadTranscript } from './transcript-store';
import type { AnalysisActivities } from './types';

// The Claude pass: a follow-up email draft, MEDDPICC qualification with evidence quotes, and
// conversation patterns, as one forced tool call whose input is validated with zod.

const systemPrompt = [
  'You analyse recorded B2B sales calls for the sales rep who ran the call.',
  'Use only what the transcript says. Every evidence quote must be copied verbatim from one line of the',
  'transcript, and its speaker must be that line\'s speaker. Mark a qualification field "unknown" when the',
  'call gives no evidence for it. Write the follow-up email from the rep to the prospect, in English.',
  `Answer only by calling the ${callAnalysisToolName} tool.`,
].join(' ');

export interface AnthropicActivityOptions {
  anthropic: Anthropic;
  prisma: PrismaClient;
  model: string;
  maxTranscriptCodePoints: number;
}

export function createAnthropicActivities(
  options: AnthropicActivityOptions,
): Pick<AnalysisActivities, 'analyseCallWithClaude'> {
  const { anthropic, prisma, model } = options;

  return {
    async analyseCallWithClaude({ meetingId }) {
      return timedStep(prisma, meetingId, 'claude', async () => {
        const transcript = await loadTranscript(prisma, meetingId);
        const { text: prompt, truncated } = truncateToCodePoints(
          renderTranscriptForPrompt(transcript.utterances),
          options.maxTranscriptCodePoints,
        );
        const context = Context.current();
        const response = await withHeartbeats(
          () => context.heartbeat(),
          () =>
            anthropic.messages
              .create(
                {
                  model,
                  max_tokens: 8192,
                  system: systemPrompt,
                  tools: [
                    {
                      name: callAnalysisToolName,
                      description: 'Record the analysis of this sales call.',
                      input_schema: callAnalysisInputSchema() as Anthropic.Tool.InputSchema,
                    },
                  ],
                  tool_choice: { type: 'tool', name: callAnalysisToolName },
                  messages: [
                    {
                      role: 'user',
                      content: truncated
                        ? `${prompt}\n(The transcript was cut to fit; analyse the part above.)`
                        : prompt,
                    },
                  ],
                },
                { signal: context.cancellationSignal },
              )
              .catch((error: unknown) => {
                throw providerFailure('anthropic', statusOf(error), 'messages.create failed', error);
              }),
        );

        const analysis = parseAnalysis(response);
        const grounded = keepGroundedEvidence(analysis, transcript.utterances);
        if (grounded.dropped > 0) {
          log.warn('Dropped evidence quotes not found in the transcript', { meetingId, dropped: grounded.dropped });
        }
        await prisma.callIntelligence.update({
          where: { meetingId },
          data: {
            summary: grounded.analysis.summary,
            qualification: grounded.analysis.qualification,
            followUpEmail: grounded.analysis.followUpEmail,
            conversationPatterns: grounded.analysis.conversationPatterns,
            model: response.model,
          },
        });

        return { qualifies: grounded.analysis.qualification.qualifies, score: grounded.analysis.qualification.score };
      });
    },
  };
}

/** Checks why the model stopped before reading its output: a cut-off tool call is never parsed. */
function parseAnalysis(response: Anthropic.Message): TCallAnalysis {
  if (response.stop_reason === 'max_tokens') {
    throw ApplicationFailure.nonRetryable(
      'The model ran out of output tokens before finishing the analysis',
      ErrorCode.ModelOutputTruncated,
    );
  }
  if (response.stop_reason !== 'tool_use') {
    throw ApplicationFailure.nonRetryable(
      `The model stopped with ${response.stop_reason ?? 'no reason'} instead of calling the tool`,
      ErrorCode.ModelOutputInvalid,
    );
  }
  const call = response.content.find(
    (block): block is Anthropic.ToolUseBlock => block.type === 'tool_use' && block.name === callAnalysisToolName,
  );
  const parsed = ZCallAnalysisSchema.safeParse(call?.input);
  if (!parsed.success) {
    const paths = parsed.error.issues.slice(0, 5).map((issue) => issue.path.join('.') || '(root)');
    throw ApplicationFailure.nonRetryable(
      `The model's analysis does not match the schema at ${paths.join(', ')}`,
      ErrorCode.ModelOutputInvalid,
    );
  }

  return parsed.data;
}

/** Removes evidence whose quote does not occur in a line of that speaker, so every stored quote can be checked. */
function keepGroundedEvidence(
  analysis: TCallAnalysis,
  utterances: readonly Utterance[],
): { analysis: TCallAnalysis; dropped: number } {
  let dropped = 0;
  const normalise = (text: string) => text.replace(/\s+/g, ' ').trim();
  const linesBySpeaker = new Map<string, string[]>();
  for (const utterance of utterances) {
    const lines = linesBySpeaker.get(utterance.speaker) ?? [];
    lines.push(normalise(utterance.text));
    linesBySpeaker.set(utterance.speaker, lines);
  }
  const grounded = (evidence: TEvidence[]) =>
    evidence.filter((item) => {
      const quote = normalise(item.quote);
      const found = (linesBySpeaker.get(item.speaker) ?? []).some((line) => line.includes(quote));
      if (!found) {
        dropped += 1;
      }

      return found;
    });

  const fields = Object.fromEntries(
    Object.entries(analysis.qualification.fields).map(([name, field]) => [
      name,
      { ...field, evidence: grounded(field.evidence) },
    ]),
  ) as TCallAnalysis['qualification']['fields'];

  return {
    analysis: {
      ...analysis,
      qualification: { ...analysis.qualification, fields },
      conversationPatterns: analysis.conversationPatterns.map((pattern) => ({
        ...pattern,
        evidence: grounded(pattern.evidence),
      })),
    },
    dropped,
  };
}
