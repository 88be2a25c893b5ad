import { Router } from 'express';
import type { SandboxContext } from './context';
import { providerGate, type ProviderErrors } from './provider-gate';

// Recall.ai's `POST /api/v1/bot/{id}/delete_media/` stand-in, mounted at /recall beside the bot API. It
// removes the bot's recordings, so their transcript and video downloads answer 404 from then on.
// NOTE: Recall documents the endpoint but not its response body; 204 with no body is an assumption, and a bot
// is "known" here when it ever recorded a call, because the bot registry belongs to the bot API's router.

const recallErrors: ProviderErrors = {
  unauthenticated: (res) => void res.status(401).json({ detail: 'Authentication credentials were not provided.' }),
  invalidJson: (res) => void res.status(400).json({ detail: 'JSON parse error: the request body is not valid JSON.' }),
  rateLimited: (res, seconds) =>
    void res.status(429).json({ detail: `Request was throttled. Expected available in ${seconds} seconds.` }),
  serverError: (res) => void res.status(500).json({ detail: 'A server error occurred.' }),
};

export function recallDeletionRouter(context: SandboxContext): Router {
  const router = Router();
  const botsWithDeletedMedia = new Set<string>();
  const gate = providerGate(context, {
    provider: 'recall',
    errors: recallErrors,
    isAuthenticated: (req) => /^Token\s+\S+/.test(req.get('authorization') ?? ''),
  });

  router.post('/api/v1/bot/:botId/delete_media/', gate, (req, res) => {
    const { botId } = req.params as { botId: string };
    const recordingIds = [...context.recordings.values()]
      .filter((recording) => recording.botId === botId)
      .map((recording) => recording.recordingId);
    if (recordingIds.length === 0 && !botsWithDeletedMedia.has(botId)) {
      res.status(404).json({ detail: 'Not found.' });

      return;
    }

    for (const recordingId of recordingIds) {
      context.recordings.delete(recordingId);
    }
    botsWithDeletedMedia.add(botId);
    context.log.info({ botId, recordings: recordingIds.length }, 'Recall bot media deleted');

    res.status(204).end();
  });

  return router;
}
