import { Router, type Response } from 'express';
import type { SandboxContext } from './context';
import { digestHex } from './ids';
import { providerGate, providerJsonBody, type ProviderErrors } from './provider-gate';

// Gemini API stand-in for embeddings, mounted at /gemini. @google/genai 3.1.0's `models.embedContent`
// (Gemini API mode) posts `{ requests: [{ model, content: { parts: [{ text }] }, outputDimensionality? }] }`
// to `<base>/v1/models/<model>:batchEmbedContents` with `x-goog-api-key` (its default API version is v1;
// v1beta is accepted too for clients configured with it). Errors use Google's envelope
// `{ error: { code, message, status } }`.

function sendGoogleError(res: Response, code: number, status: string, message: string): void {
  res.status(code).json({ error: { code, message, status } });
}

const geminiErrors: ProviderErrors = {
  // The Gemini API rejects a request without a key with 403 PERMISSION_DENIED, not 401 (responses quoted in
  // the googleapis/js-genai GitHub issues show this).
  unauthenticated: (res) =>
    sendGoogleError(res, 403, 'PERMISSION_DENIED', 'The request has no API key: send it in the x-goog-api-key header'),
  invalidJson: (res) => sendGoogleError(res, 400, 'INVALID_ARGUMENT', 'Invalid JSON payload received'),
  rateLimited: (res) =>
    sendGoogleError(res, 429, 'RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).'),
  serverError: (res) => sendGoogleError(res, 500, 'INTERNAL', 'An internal error has occurred. Please retry.'),
};

export const maxEmbeddingsPerBatch = 100;
export const defaultEmbeddingDimension = 3072;

export function geminiRouter(context: SandboxContext): Router {
  const router = Router();

  router.use(
    providerGate(context, {
      provider: 'gemini',
      errors: geminiErrors,
      isAuthenticated: (req) =>
        (req.get('x-goog-api-key') ?? '').trim() !== '' || (typeof req.query.key === 'string' && req.query.key !== ''),
    }),
  );
  router.use(...providerJsonBody(geminiErrors));

  router.use((req, res) => {
    // The model name sits before a colon in the last path segment, which Express route patterns treat
    // as a parameter marker, so the path is matched here directly.
    const match = /^\/v1(?:beta)?\/models\/([^/:]+):batchEmbedContents$/.exec(req.path);
    if (req.method !== 'POST' || match?.[1] === undefined) {
      sendGoogleError(res, 404, 'NOT_FOUND', `Method ${req.method} ${req.path} is not found.`);

      return;
    }

    const result = embedBatch(`models/${match[1]}`, req.body);
    if (typeof result === 'string') {
      sendGoogleError(res, 400, 'INVALID_ARGUMENT', result);

      return;
    }
    context.log.info({ model: match[1], items: result.length }, 'Gemini embeddings returned');

    res.json({ embeddings: result.map((values) => ({ values })) });
  });

  return router;
}

function embedBatch(model: string, body: unknown): number[][] | string {
  const requests = (body as { requests?: unknown } | null)?.requests;
  if (!Array.isArray(requests) || requests.length === 0) {
    return '* BatchEmbedContentsRequest.requests: at least one request is required';
  }
  if (requests.length > maxEmbeddingsPerBatch) {
    return `* BatchEmbedContentsRequest.requests: at most ${maxEmbeddingsPerBatch} requests can be in one batch`;
  }

  const vectors: number[][] = [];
  for (const [index, request] of requests.entries()) {
    const item = request as { model?: unknown; content?: { parts?: unknown }; outputDimensionality?: unknown };
    if (item.model !== undefined && item.model !== model) {
      return `* BatchEmbedContentsRequest.requests[${index}].model: model must match the one in the URL (${model})`;
    }
    const parts = item.content?.parts;
    if (!Array.isArray(parts) || parts.length === 0) {
      return `* BatchEmbedContentsRequest.requests[${index}].content: content must have at least one part`;
    }
    const dimension = item.outputDimensionality ?? defaultEmbeddingDimension;
    if (
      typeof dimension !== 'number' ||
      !Number.isInteger(dimension) ||
      dimension < 1 ||
      dimension > defaultEmbeddingDimension
    ) {
      return `* BatchEmbedContentsRequest.requests[${index}].output_dimensionality: must be between 1 and ${defaultEmbeddingDimension}`;
    }
    const text = parts.map((part: { text?: unknown }) => (typeof part?.text === 'string' ? part.text : '')).join(' ');
    vectors.push(embedText(text, dimension));
  }

  return vectors;
}

/**
 * Builds a deterministic unit vector for `text`. Each lower-cased word adds ±1 at a hashed position
 * (feature hashing), so texts that share words point in similar directions and search can rank them.
 */
export function embedText(text: string, dimension: number): number[] {
  const values = new Array<number>(dimension).fill(0);
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  for (const word of words) {
    const hash = digestHex('embedding-word', word);
    const position = parseInt(hash.slice(0, 8), 16) % dimension;
    values[position]! += parseInt(hash.slice(8, 9), 16) < 8 ? 1 : -1;
  }

  let norm = Math.hypot(...values);
  if (norm === 0) {
    // No words (or words that cancel out): a fixed direction derived from the raw text keeps the vector a unit vector.
    const position = parseInt(digestHex('embedding-empty', text).slice(0, 8), 16) % dimension;
    values[position] = 1;
    norm = 1;
  }

  return values.map((value) => value / norm);
}
