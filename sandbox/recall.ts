import { Router, type Request, type Response } from 'express';
import type { SandboxContext } from './context';
import { derivedUuid } from './ids';
import { providerGate, providerJsonBody, type ProviderErrors } from './provider-gate';
import {
  botJson,
  cancelPendingSteps,
  isTerminal,
  latestStatus,
  leaveCall,
  recallTranscriptJson,
  scheduleJoin,
  type RecallBot,
} from './recall-calls';

// Recall.ai API v1 stand-in, mounted at /recall. Errors follow Recall's Django REST Framework shapes:
// `{ detail }` for auth, throttling and missing objects, and `{ field: [messages] }` for invalid input.

const recallErrors: ProviderErrors = {
  unauthenticated: (res) => void res.status(401).json({ detail: 'Authentication credentials were not provided.' }),
  invalidJson: (res) => void res.status(400).json({ detail: 'JSON parse error: the request body is not valid JSON.' }),
  rateLimited: (res, seconds) =>
    void res.status(429).json({ detail: `Request was throttled. Expected available in ${seconds} seconds.` }),
  serverError: (res) => void res.status(500).json({ detail: 'A server error occurred.' }),
};

const notFound = { detail: 'Not found.' };

// A few bytes that start like an MP4 file (an `ftyp` box); nothing plays them, the product only passes the URL on.
const placeholderMp4 = Buffer.from('000000186674797069736f6d0000020069736f6d69736f32', 'hex');

export function recallRouter(context: SandboxContext): Router {
  const router = Router();
  const bots = new Map<string, RecallBot>();
  const botIdByIdempotencyKey = new Map<string, string>();
  let botSequence = 0;

  router.use(
    providerGate(context, {
      provider: 'recall',
      errors: recallErrors,
      // Recall's keys are sent as `Authorization: Token <key>`.
      isAuthenticated: (req) => /^Token\s+\S+/.test(req.get('authorization') ?? ''),
      bypass: (req) => req.path.startsWith('/media/'),
    }),
  );
  router.use(...providerJsonBody(recallErrors));

  router.post('/api/v1/bot/', (req, res) => {
    const idempotencyKey = req.get('idempotency-key');
    const earlierBotId = idempotencyKey === undefined ? undefined : botIdByIdempotencyKey.get(idempotencyKey);
    const earlierBot = earlierBotId === undefined ? undefined : bots.get(earlierBotId);
    if (earlierBot !== undefined) {
      res.status(201).json(botJson(context, earlierBot));

      return;
    }

    const parsed = parseCreateBot(req.body);
    if ('errors' in parsed) {
      res.status(400).json(parsed.errors);

      return;
    }
    botSequence += 1;
    const bot: RecallBot = {
      ...parsed.value,
      id: derivedUuid('recall-bot', botSequence, parsed.value.meetingUrl, idempotencyKey ?? null),
      createdAt: new Date().toISOString(),
      statusChanges: [],
      recording: null,
      pendingSteps: [],
      deliveryTail: Promise.resolve(),
      heldEvents: null,
    };
    bots.set(bot.id, bot);
    if (idempotencyKey !== undefined) {
      botIdByIdempotencyKey.set(idempotencyKey, bot.id);
    }
    scheduleJoin(context, bot);
    context.log.info({ botId: bot.id, joinAt: bot.joinAt }, 'Recall bot created');

    res.status(201).json(botJson(context, bot));
  });

  router.get('/api/v1/bot/:botId/', (req, res) => {
    const bot = bots.get(req.params.botId);
    if (bot === undefined) {
      res.status(404).json(notFound);

      return;
    }

    res.json(botJson(context, bot));
  });

  router.delete('/api/v1/bot/:botId/', (req, res) => {
    const bot = bots.get(req.params.botId);
    if (bot === undefined) {
      res.status(404).json(notFound);

      return;
    }
    if (bot.statusChanges.length > 0) {
      // NOTE: Recall documents that only bots that have not joined can be deleted. The status it returns
      // for a joined bot is not confirmed, so 409 with a `detail` is an assumption.
      res
        .status(409)
        .json({ detail: 'This bot has already started joining the call and cannot be deleted; use leave_call.' });

      return;
    }

    cancelPendingSteps(bot);
    bots.delete(bot.id);
    for (const [key, botId] of botIdByIdempotencyKey) {
      if (botId === bot.id) {
        botIdByIdempotencyKey.delete(key);
      }
    }
    context.log.info({ botId: bot.id }, 'Recall bot deleted before joining');

    res.status(204).end();
  });

  router.post('/api/v1/bot/:botId/leave_call/', (req, res) => {
    const bot = bots.get(req.params.botId);
    if (bot === undefined) {
      res.status(404).json(notFound);

      return;
    }
    if (latestStatus(bot) === null || latestStatus(bot) === 'call_ended' || isTerminal(bot)) {
      res.status(400).json({ detail: `The bot is not in a call (status: ${latestStatus(bot) ?? 'ready'}).` });

      return;
    }

    leaveCall(context, bot);
    context.log.info({ botId: bot.id }, 'Recall bot asked to leave the call');

    res.json(botJson(context, bot));
  });

  router.get('/media/:recordingId/transcript.json', (req, res) => {
    const recording = context.recordings.get(req.params.recordingId);
    if (recording === undefined) {
      res.status(404).json(notFound);

      return;
    }

    res.json(recallTranscriptJson(recording));
  });

  router.get('/media/:recordingId/video.mp4', (req, res) => {
    if (!context.recordings.has(req.params.recordingId)) {
      res.status(404).json(notFound);

      return;
    }

    res.type('video/mp4').send(placeholderMp4);
  });

  router.use((_req: Request, res: Response) => {
    res.status(404).json(notFound);
  });

  return router;
}

type CreateBotFields = Pick<RecallBot, 'meetingUrl' | 'botName' | 'joinAt' | 'recordingConfig' | 'metadata'>;

/** Validates a create-bot body, collecting every field error as Django REST Framework does. */
function parseCreateBot(body: unknown): { value: CreateBotFields } | { errors: Record<string, string[]> } {
  const input =
    typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  const errors: Record<string, string[]> = {};

  const meetingUrl = input.meeting_url;
  if (meetingUrl === undefined || meetingUrl === null || meetingUrl === '') {
    errors.meeting_url = ['This field is required.'];
  } else if (typeof meetingUrl !== 'string' || !URL.canParse(meetingUrl)) {
    errors.meeting_url = ['Enter a valid meeting URL.'];
  }

  const botName = input.bot_name ?? 'Meeting Notetaker';
  if (typeof botName !== 'string' || botName.trim() === '' || botName.length > 100) {
    errors.bot_name = ['Enter a name of 1 to 100 characters.'];
  }

  const joinAt = input.join_at ?? null;
  if (joinAt !== null && (typeof joinAt !== 'string' || Number.isNaN(Date.parse(joinAt)))) {
    errors.join_at = ['Datetime has wrong format. Use an ISO 8601 date and time.'];
  }

  const recordingConfig = input.recording_config ?? null;
  if (recordingConfig !== null && !isPlainObject(recordingConfig)) {
    errors.recording_config = ['Expected an object.'];
  }

  const metadata = input.metadata ?? {};
  if (!isPlainObject(metadata)) {
    errors.metadata = ['Expected an object of string values.'];
  }

  if (Object.keys(errors).length > 0) {
    return { errors };
  }

  return {
    value: {
      meetingUrl: meetingUrl as string,
      botName: botName as string,
      joinAt: joinAt === null ? null : new Date(joinAt as string).toISOString(),
      recordingConfig: recordingConfig as Record<string, unknown> | null,
      metadata: metadata as Record<string, unknown>,
    },
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
