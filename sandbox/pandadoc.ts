import { randomBytes } from 'node:crypto';
import express, { Router, type Response } from 'express';
import type { SandboxContext } from './context';
import { providerGate, type ProviderErrors } from './provider-gate';
import { hasIssuedToken, issueAccessToken } from './signature-common';
import type { SignatureWebhookSender } from './signature-webhooks';

// PandaDoc public API v1 stand-in, mounted at /pandadoc: documents created from an uploaded PDF
// (multipart), processed to `document.draft` after a short delay, sent, voided through the status
// endpoint (code 11) and downloaded. Status changes go out as webhook arrays with `?signature=`.

const pandadocError = (res: Response, status: number, type: string, detail: string) =>
  void res.status(status).json({ type, detail });

const pandadocErrors: ProviderErrors = {
  unauthenticated: (res) =>
    pandadocError(res, 401, 'authentication_error', 'Authentication credentials were not provided.'),
  invalidJson: (res) => pandadocError(res, 400, 'request_error', 'JSON parse error.'),
  rateLimited: (res) => pandadocError(res, 429, 'rate_limit_error', 'Request was throttled.'),
  serverError: (res) => pandadocError(res, 500, 'server_error', 'Internal server error.'),
};

export interface SandboxPandadocDocument {
  id: string;
  name: string;
  status: string;
  dateCreated: string;
  dateModified: string;
  metadata: Record<string, string>;
  recipientEmail: string;
  pdf: Buffer;
}

const processingDelayMs = 100;

export function pandadocRouter(
  context: SandboxContext,
  documents: Map<string, SandboxPandadocDocument>,
  webhooks: SignatureWebhookSender,
): Router {
  const router = Router();
  router.use(
    providerGate(context, {
      provider: 'pandadoc',
      errors: pandadocErrors,
      isAuthenticated: (req) => hasIssuedToken(context, req, 'pandadoc'),
    }),
  );

  router.post('/public/v1/documents', express.raw({ type: 'multipart/form-data', limit: '20mb' }), async (req, res) => {
    const form = await new Response(new Uint8Array(req.body as Buffer), {
      headers: { 'content-type': req.get('content-type') ?? '' },
    })
      .formData()
      .catch(() => undefined);
    const file = form?.get('file');
    const dataField = form?.get('data');
    const data = JSON.parse(typeof dataField === 'string' ? dataField : '{}') as {
      name?: string;
      recipients?: Array<{ email?: string }>;
      metadata?: Record<string, string>;
    };
    if (!(file instanceof Blob) || data.recipients?.[0]?.email === undefined) {
      pandadocError(res, 400, 'request_error', 'A file and at least one recipient with an email are required.');
      return;
    }
    const now = new Date().toISOString();
    const document: SandboxPandadocDocument = {
      id: randomBytes(11).toString('base64url').replace(/[-_]/g, 'x'),
      name: data.name ?? 'Document',
      status: 'document.uploaded',
      dateCreated: now,
      dateModified: now,
      metadata: data.metadata ?? {},
      recipientEmail: data.recipients[0].email,
      pdf: Buffer.from(await file.arrayBuffer()),
    };
    documents.set(document.id, document);
    void context.scheduler.sleep(processingDelayMs).then(
      () => setStatus(document, 'document.draft'),
      () => undefined,
    );
    res.status(201).json(documentJson(document));
  });

  router.get('/public/v1/documents', (req, res) => {
    const filters = Object.entries(req.query).filter(([key]) => key.startsWith('metadata_'));
    const results = [...documents.values()].filter((document) =>
      filters.every(([key, value]) => document.metadata[key.slice('metadata_'.length)] === value),
    );
    res.json({ results: results.map(documentJson) });
  });

  router.get('/public/v1/documents/:id', (req, res) => {
    const document = documents.get(req.params.id);
    if (document === undefined) return pandadocError(res, 404, 'not_found', 'Not found.');
    res.json(documentJson(document));
  });

  router.post('/public/v1/documents/:id/send', express.json(), (req, res) => {
    const document = documents.get(req.params.id);
    if (document === undefined) return pandadocError(res, 404, 'not_found', 'Not found.');
    if (document.status !== 'document.draft') {
      return pandadocError(
        res,
        409,
        'request_error',
        `Document must be in document.draft state, not ${document.status}.`,
      );
    }
    setStatus(document, 'document.sent');
    void webhooks.send([stateChanged(document)]);
    res.json(documentJson(document));
  });

  router.patch('/public/v1/documents/:id/status', express.json(), (req, res) => {
    const document = documents.get(req.params.id);
    if (document === undefined) return pandadocError(res, 404, 'not_found', 'Not found.');
    if (
      (req.body as { status?: unknown }).status !== 11 ||
      !['document.sent', 'document.viewed'].includes(document.status)
    ) {
      return pandadocError(res, 400, 'request_error', `Cannot change a ${document.status} document to that status.`);
    }
    setStatus(document, 'document.voided');
    void webhooks.send([stateChanged(document)]);
    res.status(204).end();
  });

  router.get('/public/v1/documents/:id/download', (req, res) => {
    const document = documents.get(req.params.id);
    if (document === undefined) return pandadocError(res, 404, 'not_found', 'Not found.');
    res.type('application/pdf').send(document.pdf);
  });

  router.use((_req, res) => pandadocError(res, 404, 'not_found', 'Not found.'));

  return router;
}

export function pandadocControlRouter(
  context: SandboxContext,
  documents: Map<string, SandboxPandadocDocument>,
  webhooks: SignatureWebhookSender,
): Router {
  const router = Router();
  router.post('/access-tokens', issueAccessToken(context, 'pandadoc'));
  router.get('/documents', (_req, res) => void res.json({ results: [...documents.values()].map(documentJson) }));
  router.post('/documents/:id/:action', (req, res) => {
    const document = documents.get(req.params.id);
    const action = req.params.action;
    if (document === undefined || (action !== 'sign' && action !== 'decline')) {
      res.status(404).json({ error: 'No such document or action (sign, decline)' });
      return;
    }
    if (document.status !== 'document.sent' && document.status !== 'document.viewed') {
      res.status(409).json({ error: `The document is ${document.status}` });
      return;
    }
    setStatus(document, 'document.viewed');
    const viewed = stateChanged(document);
    setStatus(document, action === 'sign' ? 'document.completed' : 'document.declined');
    void webhooks.send([viewed, stateChanged(document)]);
    res.json(documentJson(document));
  });

  return router;
}

function setStatus(document: SandboxPandadocDocument, status: string): void {
  document.status = status;
  document.dateModified = new Date().toISOString();
}

function documentJson(document: SandboxPandadocDocument) {
  return {
    id: document.id,
    name: document.name,
    status: document.status,
    date_created: document.dateCreated,
    date_modified: document.dateModified,
    metadata: document.metadata,
  };
}

function stateChanged(document: SandboxPandadocDocument) {
  const body = JSON.stringify([{ event: 'document_state_changed', data: documentJson(document) }]);

  return {
    provider: 'pandadoc' as const,
    body,
    eventId: randomBytes(12).toString('hex'),
    logFields: { pandadocId: document.id, status: document.status },
  };
}
