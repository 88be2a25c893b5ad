import { randomUUID } from 'node:crypto';
import { Router, type Response } from 'express';
import { z } from 'zod';
import type { SandboxContext } from './context';
import { digestHex } from './ids';
import { nonEmptyHeader, providerGate, providerJsonBody, type ProviderErrors } from './provider-gate';

// Resend stand-in, mounted at /resend, for the `resend` SDK's `emails.send` and `emails.get`. It follows
// Resend's REST API: `POST /emails` with a Bearer key answers `{ id }`; errors are
// `{ statusCode, name, message }`; an `Idempotency-Key` seen before returns the first email's id when the
// payload is the same and 409 `invalid_idempotent_request` when it differs. Sent emails are kept in memory
// so tests and the local demo can read them at `GET /_sandbox/resend/emails`.

export interface SentEmail {
  id: string;
  from: string;
  to: string[];
  subject: string;
  text: string | null;
  html: string | null;
  idempotencyKey: string | null;
  createdAt: string;
}

const ZSendEmailSchema = z.object({
  from: z.string().min(3),
  to: z.union([z.string().email(), z.array(z.string().email()).min(1).max(50)]),
  subject: z.string().min(1),
  text: z.string().optional(),
  html: z.string().optional(),
  reply_to: z.union([z.string(), z.array(z.string())]).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  tags: z.array(z.object({ name: z.string(), value: z.string() })).optional(),
});

function sendResendError(res: Response, statusCode: number, name: string, message: string): void {
  res.status(statusCode).json({ statusCode, name, message });
}

const resendErrors: ProviderErrors = {
  unauthenticated: (res) => sendResendError(res, 401, 'missing_api_key', 'Missing API key in the authorization header'),
  invalidJson: (res) => sendResendError(res, 400, 'invalid_parameter', 'The request body is not valid JSON'),
  rateLimited: (res) => sendResendError(res, 429, 'rate_limit_exceeded', 'Too many requests, please slow down'),
  serverError: (res) => sendResendError(res, 500, 'application_error', 'An unexpected error occurred'),
};

/** The emails one sandbox server accepted, in order. */
export class ResendOutbox {
  private readonly emails: SentEmail[] = [];
  private readonly byIdempotencyKey = new Map<string, { email: SentEmail; payloadDigest: string }>();

  list(to?: string): SentEmail[] {
    return to === undefined ? [...this.emails] : this.emails.filter((email) => email.to.includes(to));
  }

  get(id: string): SentEmail | undefined {
    return this.emails.find((email) => email.id === id);
  }

  /** Returns the stored email for a repeated key, 'conflict' when the key came with another payload. */
  replay(idempotencyKey: string, payloadDigest: string): SentEmail | 'conflict' | undefined {
    const earlier = this.byIdempotencyKey.get(idempotencyKey);
    if (earlier === undefined) return undefined;

    return earlier.payloadDigest === payloadDigest ? earlier.email : 'conflict';
  }

  add(email: SentEmail, payloadDigest: string): void {
    this.emails.push(email);
    if (email.idempotencyKey !== null) {
      this.byIdempotencyKey.set(email.idempotencyKey, { email, payloadDigest });
    }
  }

  clear(): void {
    this.emails.length = 0;
    this.byIdempotencyKey.clear();
  }
}

export function resendRouter(context: SandboxContext, outbox: ResendOutbox): Router {
  const router = Router();

  router.use(
    providerGate(context, {
      provider: 'resend',
      errors: resendErrors,
      isAuthenticated: (req) => /^Bearer \S+$/.test(req.get('authorization') ?? ''),
    }),
  );
  router.use(...providerJsonBody(resendErrors));

  router.post('/emails', (req, res) => {
    const parsed = ZSendEmailSchema.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      sendResendError(res, 422, 'validation_error', `Invalid \`${issue?.path.join('.') ?? 'body'}\` field`);

      return;
    }
    if (parsed.data.text === undefined && parsed.data.html === undefined) {
      sendResendError(res, 422, 'validation_error', 'Either `text` or `html` must be provided');

      return;
    }

    const idempotencyKey = nonEmptyHeader(req, 'idempotency-key') ?? null;
    const payloadDigest = digestHex(parsed.data);
    if (idempotencyKey !== null) {
      const earlier = outbox.replay(idempotencyKey, payloadDigest);
      if (earlier === 'conflict') {
        sendResendError(
          res,
          409,
          'invalid_idempotent_request',
          'Same idempotency key used with a different request payload',
        );

        return;
      }
      if (earlier !== undefined) {
        res.json({ id: earlier.id });

        return;
      }
    }

    const email: SentEmail = {
      id: randomUUID(),
      from: parsed.data.from,
      to: typeof parsed.data.to === 'string' ? [parsed.data.to] : parsed.data.to,
      subject: parsed.data.subject,
      text: parsed.data.text ?? null,
      html: parsed.data.html ?? null,
      idempotencyKey,
      createdAt: new Date().toISOString(),
    };
    outbox.add(email, payloadDigest);
    context.log.info({ emailId: email.id, recipients: email.to.length }, 'Resend email accepted');

    res.json({ id: email.id });
  });

  router.get('/emails/:id', (req, res) => {
    const email = outbox.get(req.params.id);
    if (email === undefined) {
      sendResendError(res, 404, 'not_found', 'Email not found');

      return;
    }

    res.json({
      object: 'email',
      id: email.id,
      from: email.from,
      to: email.to,
      subject: email.subject,
      text: email.text,
      html: email.html,
      created_at: email.createdAt,
      last_event: 'delivered',
    });
  });

  return router;
}

/** Control routes under /_sandbox/resend: read or clear what the product sent. */
export function resendControlRouter(outbox: ResendOutbox): Router {
  const router = Router();

  router.get('/emails', (req, res) => {
    const to = typeof req.query.to === 'string' ? req.query.to : undefined;
    res.json(outbox.list(to));
  });

  router.delete('/emails', (_req, res) => {
    outbox.clear();
    res.status(204).end();
  });

  return router;
}
