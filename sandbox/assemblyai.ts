import { Router, type Response } from 'express';
import { speakersInOrder, timeUtterances } from './call-timeline';
import { detectEntities, analyseSentiment } from './audio-intelligence';
import { findRecordingByVideoUrl, type SandboxContext } from './context';
import { derivedUuid } from './ids';
import { nonEmptyHeader, providerGate, providerJsonBody, type ProviderErrors } from './provider-gate';
import { deliverWebhook } from './webhook-delivery';

// AssemblyAI v2 transcript stand-in, mounted at /assemblyai. A submitted transcript stays queued for
// `audioWebhookDelayMs`, then completes from the Recall recording whose video URL was given as
// `audio_url` (or fails when the audio is unknown) and the webhook is sent. Errors are `{ error }`.

function sendAssemblyError(res: Response, status: number, message: string): void {
  res.status(status).json({ error: message });
}

const assemblyErrors: ProviderErrors = {
  unauthenticated: (res) => sendAssemblyError(res, 401, 'Authentication error: API key missing or invalid'),
  invalidJson: (res) => sendAssemblyError(res, 400, 'The request body is not valid JSON'),
  rateLimited: (res) => sendAssemblyError(res, 429, 'Too many requests: retry after the retry-after delay'),
  serverError: (res) => sendAssemblyError(res, 500, 'Internal server error'),
};

interface TranscriptJob {
  id: string;
  request: TranscriptRequest;
  status: 'queued' | 'processing' | 'completed' | 'error';
  result: Record<string, unknown>;
  error?: string;
  webhookStatusCode: number | null;
  deleted: boolean;
}

interface TranscriptRequest {
  audio_url: string;
  speaker_labels: boolean;
  entity_detection: boolean;
  sentiment_analysis: boolean;
  webhook_url: string | null;
  webhook_auth_header_name: string | null;
  webhook_auth_header_value: string | null;
}

export function assemblyaiRouter(context: SandboxContext): Router {
  const router = Router();
  const jobs = new Map<string, TranscriptJob>();
  let jobSequence = 0;

  router.use(
    providerGate(context, {
      provider: 'assemblyai',
      errors: assemblyErrors,
      // AssemblyAI takes the bare key in Authorization, with no scheme.
      isAuthenticated: (req) => nonEmptyHeader(req, 'authorization') !== undefined,
    }),
  );
  router.use(...providerJsonBody(assemblyErrors));

  router.post('/v2/transcript', (req, res) => {
    const parsed = parseTranscriptRequest(req.body);
    if (typeof parsed === 'string') {
      sendAssemblyError(res, 400, parsed);

      return;
    }

    jobSequence += 1;
    const job: TranscriptJob = {
      id: derivedUuid('assemblyai-transcript', jobSequence, parsed.audio_url),
      request: parsed,
      status: 'queued',
      result: {},
      webhookStatusCode: null,
      deleted: false,
    };
    jobs.set(job.id, job);
    context.scheduler.after(
      context.audioWebhookDelayMs,
      () => completeJob(context, job),
      (error) => context.log.error({ transcriptId: job.id, err: error }, 'AssemblyAI transcript completion failed'),
    );
    context.log.info({ transcriptId: job.id }, 'AssemblyAI transcript queued');

    res.json(transcriptJson(job));
  });

  router.get('/v2/transcript/:transcriptId', (req, res) => {
    const job = jobs.get(req.params.transcriptId);
    if (job === undefined) {
      sendAssemblyError(res, 404, 'Transcript not found');

      return;
    }

    res.json(transcriptJson(job));
  });

  router.delete('/v2/transcript/:transcriptId', (req, res) => {
    const job = jobs.get(req.params.transcriptId);
    if (job === undefined) {
      sendAssemblyError(res, 404, 'Transcript not found');

      return;
    }
    if (job.status === 'queued' || job.status === 'processing') {
      sendAssemblyError(res, 400, 'Transcript is still being processed and cannot be deleted yet');

      return;
    }

    // As AssemblyAI does, the record stays but its content is removed.
    job.deleted = true;
    job.result = {
      text: 'Deleted by user.',
      words: null,
      utterances: null,
      entities: null,
      sentiment_analysis_results: null,
    };
    context.log.info({ transcriptId: job.id }, 'AssemblyAI transcript deleted');

    res.json(transcriptJson(job));
  });

  router.use((_req, res) => sendAssemblyError(res, 404, 'Not found'));

  return router;
}

async function completeJob(context: SandboxContext, job: TranscriptJob): Promise<void> {
  const recording = findRecordingByVideoUrl(context, job.request.audio_url);
  if (recording === undefined) {
    job.status = 'error';
    job.error = `Download error: the audio at ${job.request.audio_url} could not be fetched (not found)`;
  } else {
    job.status = 'completed';
    job.result = transcriptResult(job.request, recording.utterances);
  }
  context.log.info({ transcriptId: job.id, status: job.status }, 'AssemblyAI transcript finished');

  if (job.request.webhook_url === null) {
    return;
  }
  const body = JSON.stringify({ transcript_id: job.id, status: job.status });
  const authHeader: Record<string, string> =
    job.request.webhook_auth_header_name !== null && job.request.webhook_auth_header_value !== null
      ? { [job.request.webhook_auth_header_name]: job.request.webhook_auth_header_value }
      : {};
  const copies = context.faults.take('assemblyai', 'duplicate_webhooks') === undefined ? 1 : 2;
  for (let copy = 0; copy < copies; copy += 1) {
    const outcome = await deliverWebhook(
      { url: job.request.webhook_url, body, headersForAttempt: () => authHeader, logFields: { transcriptId: job.id } },
      { scheduler: context.scheduler, retryDelaysMs: context.webhookRetryDelaysMs, log: context.log },
    );
    job.webhookStatusCode = outcome.lastStatus;
  }
}

function transcriptResult(
  request: TranscriptRequest,
  utterances: Parameters<typeof timeUtterances>[0],
): Record<string, unknown> {
  const timed = timeUtterances(utterances);
  const speakers = speakersInOrder(timed);
  // AssemblyAI labels speakers A, B, C … in order of first appearance; labels past Z repeat with a number.
  const speakerLabel = (speaker: string): string => {
    const index = speakers.indexOf(speaker);

    return String.fromCharCode(65 + (index % 26)) + (index >= 26 ? String(Math.floor(index / 26)) : '');
  };
  const wordConfidence = 0.95;
  const wordsByUtterance = timed.map((utterance) =>
    utterance.words.map((word) => ({
      text: word.text,
      start: word.startMs,
      end: word.endMs,
      confidence: wordConfidence,
      speaker: request.speaker_labels ? speakerLabel(utterance.speaker) : null,
    })),
  );
  const endMs = timed.at(-1)?.endMs ?? 0;

  return {
    text: timed.map((utterance) => utterance.text).join(' '),
    words: wordsByUtterance.flat(),
    utterances: request.speaker_labels
      ? timed.map((utterance, index) => ({
          speaker: speakerLabel(utterance.speaker),
          text: utterance.text,
          start: utterance.startMs,
          end: utterance.endMs,
          confidence: wordConfidence,
          words: wordsByUtterance[index] ?? [],
        }))
      : null,
    confidence: timed.length === 0 ? null : wordConfidence,
    audio_duration: Math.ceil(endMs / 1000),
    entities: request.entity_detection ? detectEntities(timed) : null,
    sentiment_analysis_results: request.sentiment_analysis ? analyseSentiment(timed, speakerLabel) : null,
  };
}

function transcriptJson(job: TranscriptJob): Record<string, unknown> {
  return {
    id: job.id,
    status: job.status,
    audio_url: job.request.audio_url,
    language_code: 'en_us',
    speech_model: 'best',
    punctuate: true,
    format_text: true,
    speaker_labels: job.request.speaker_labels,
    entity_detection: job.request.entity_detection,
    sentiment_analysis: job.request.sentiment_analysis,
    webhook_url: job.request.webhook_url,
    webhook_auth: job.request.webhook_auth_header_name !== null,
    webhook_auth_header_name: job.request.webhook_auth_header_name,
    webhook_status_code: job.webhookStatusCode,
    text: null,
    words: null,
    utterances: null,
    confidence: null,
    audio_duration: null,
    entities: null,
    sentiment_analysis_results: null,
    ...job.result,
    ...(job.error === undefined ? {} : { error: job.error }),
  };
}

function parseTranscriptRequest(body: unknown): TranscriptRequest | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return 'The request body must be a JSON object';
  }
  const input = body as Record<string, unknown>;
  if (typeof input.audio_url !== 'string' || !URL.canParse(input.audio_url)) {
    return 'audio_url is missing or is not a valid URL';
  }
  for (const flag of ['speaker_labels', 'entity_detection', 'sentiment_analysis'] as const) {
    if (input[flag] !== undefined && input[flag] !== null && typeof input[flag] !== 'boolean') {
      return `${flag} must be a boolean`;
    }
  }
  const webhookUrl = input.webhook_url ?? null;
  if (webhookUrl !== null && (typeof webhookUrl !== 'string' || !URL.canParse(webhookUrl))) {
    return 'webhook_url is not a valid URL';
  }
  const headerName = input.webhook_auth_header_name ?? null;
  const headerValue = input.webhook_auth_header_value ?? null;
  if ((headerName === null) !== (headerValue === null)) {
    return 'webhook_auth_header_name and webhook_auth_header_value must be given together';
  }
  if (
    (headerName !== null && typeof headerName !== 'string') ||
    (headerValue !== null && typeof headerValue !== 'string')
  ) {
    return 'webhook_auth_header_name and webhook_auth_header_value must be strings';
  }

  return {
    audio_url: input.audio_url,
    speaker_labels: input.speaker_labels === true,
    entity_detection: input.entity_detection === true,
    sentiment_analysis: input.sentiment_analysis === true,
    webhook_url: webhookUrl,
    webhook_auth_header_name: headerName,
    webhook_auth_header_value: headerValue,
  };
}
