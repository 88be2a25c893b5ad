import { Router } from 'express';
import type { SandboxContext } from './context';
import { derivedToken } from './ids';
import { providerGate, providerJsonBody, type ProviderErrors } from './provider-gate';
import { hasIssuedToken, issueAccessToken } from './signature-common';

// Gmail API v1 stand-in, mounted at /gmail (googleapis keeps only the origin of `rootUrl`, so it is the sandbox root): messages.send and messages.list with `q=rfc822msgid:<id>`.
// A `lost_response` fault stores the message and then returns 500, as a send whose response was lost.
// Errors follow Google's JSON shape `{ error: { code, message, status } }`.

const googleError = (code: number, status: string, message: string) => ({ error: { code, message, status } });

const gmailErrors: ProviderErrors = {
  unauthenticated: (res) =>
    void res.status(401).json(googleError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.')),
  invalidJson: (res) =>
    void res.status(400).json(googleError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.')),
  rateLimited: (res) =>
    void res.status(429).json(googleError(429, 'RESOURCE_EXHAUSTED', 'User-rate limit exceeded. Retry later.')),
  serverError: (res) => void res.status(500).json(googleError(500, 'INTERNAL', 'Internal error encountered.')),
};

export interface SandboxGmailMessage {
  id: string;
  threadId: string;
  from: string;
  to: string;
  subject: string;
  messageIdHeader: string;
  text: string;
  sentAt: string;
}

export function gmailRouter(context: SandboxContext, messages: SandboxGmailMessage[]): Router {
  const router = Router();
  router.use(
    providerGate(context, {
      provider: 'gmail',
      errors: gmailErrors,
      isAuthenticated: (req) => hasIssuedToken(context, req, 'gmail'),
    }),
  );
  router.use(...providerJsonBody(gmailErrors));

  router.post('/v1/users/me/messages/send', (req, res) => {
    const raw = (req.body as { raw?: unknown }).raw;
    if (typeof raw !== 'string' || raw === '') {
      res
        .status(400)
        .json(
          googleError(
            400,
            'INVALID_ARGUMENT',
            "'raw' RFC822 payload message string or uploading message via /upload/* URL required",
          ),
        );
      return;
    }
    const message = parseRawMessage(Buffer.from(raw, 'base64url').toString('utf8'), messages.length);
    messages.push(message);
    context.log.info({ gmailMessageId: message.id }, 'Gmail message sent');
    if (context.faults.take('gmail', 'lost_response') !== undefined) {
      gmailErrors.serverError(res);
      return;
    }
    res.json({ id: message.id, threadId: message.threadId, labelIds: ['SENT'] });
  });

  router.get('/v1/users/me/messages', (req, res) => {
    const query = typeof req.query.q === 'string' ? req.query.q : '';
    const wanted = /^rfc822msgid:(\S+)$/.exec(query.trim())?.[1];
    const found = messages.filter((message) => wanted === undefined || message.messageIdHeader === wanted);
    res.json(
      found.length === 0
        ? { resultSizeEstimate: 0 }
        : { messages: found.map(({ id, threadId }) => ({ id, threadId })), resultSizeEstimate: found.length },
    );
  });

  router.use(
    (_req, res) => void res.status(404).json(googleError(404, 'NOT_FOUND', 'Requested entity was not found.')),
  );

  return router;
}

export function gmailControlRouter(context: SandboxContext, messages: SandboxGmailMessage[]): Router {
  const router = Router();
  router.post('/access-tokens', issueAccessToken(context, 'gmail'));
  router.get('/messages', (_req, res) => void res.json({ messages }));

  return router;
}

function parseRawMessage(text: string, sequence: number): SandboxGmailMessage {
  const [head = '', ...bodyParts] = text.split('\r\n\r\n');
  const headers = new Map<string, string>();
  for (const line of head.split('\r\n')) {
    const separator = line.indexOf(':');
    if (separator > 0) headers.set(line.slice(0, separator).trim().toLowerCase(), line.slice(separator + 1).trim());
  }
  const body = bodyParts.join('\r\n\r\n');
  const base64 = headers.get('content-transfer-encoding')?.toLowerCase() === 'base64';
  const id = derivedToken('', 'gmail-message', sequence, headers.get('message-id') ?? '')
    .slice(0, 16)
    .toLowerCase();

  return {
    id,
    threadId: id,
    from: headers.get('from') ?? '',
    to: headers.get('to') ?? '',
    subject: decodeEncodedWord(headers.get('subject') ?? ''),
    messageIdHeader: headers.get('message-id') ?? '',
    text: base64 ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8') : body,
    sentAt: new Date().toISOString(),
  };
}

function decodeEncodedWord(value: string): string {
  return value.replace(/=\?UTF-8\?B\?([^?]*)\?=/gi, (_match, encoded: string) =>
    Buffer.from(encoded, 'base64').toString('utf8'),
  );
}
