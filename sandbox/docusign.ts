import { randomUUID } from 'node:crypto';
import { Router, type Response } from 'express';
import type { SandboxContext } from './context';
import { providerGate, providerJsonBody, type ProviderErrors } from './provider-gate';
import { hasIssuedToken, issueAccessToken } from './signature-common';
import type { SignatureWebhookSender } from './signature-webhooks';

// DocuSign eSignature REST API v2.1 stand-in, mounted at /docusign/restapi: envelopes create, list by
// custom field, get, void (PUT status voided) and the combined document. Status changes go out as Connect
// JSON SIM events. Errors use DocuSign's `{ errorCode, message }`.

const docusignError = (res: Response, status: number, errorCode: string, message: string) =>
  void res.status(status).json({ errorCode, message });

const docusignErrors: ProviderErrors = {
  unauthenticated: (res) =>
    docusignError(res, 401, 'USER_AUTHENTICATION_FAILED', 'One or both of Username and Password are invalid.'),
  invalidJson: (res) =>
    docusignError(res, 400, 'INVALID_REQUEST_BODY', 'The request body is missing or improperly formatted.'),
  rateLimited: (res) =>
    docusignError(
      res,
      429,
      'HOURLY_APIINVOCATION_LIMIT_EXCEEDED',
      'The maximum number of hourly API invocations has been exceeded.',
    ),
  serverError: (res) => docusignError(res, 500, 'UNSPECIFIED_ERROR', 'An unexpected error occurred.'),
};

export interface SandboxEnvelope {
  envelopeId: string;
  accountId: string;
  status: 'sent' | 'delivered' | 'completed' | 'declined' | 'voided';
  statusChangedDateTime: string;
  emailSubject: string;
  customFields: Array<{ name: string; value: string }>;
  signer: { name: string; email: string };
  documentBase64: string;
}

export function docusignRouter(
  context: SandboxContext,
  envelopes: Map<string, SandboxEnvelope>,
  webhooks: SignatureWebhookSender,
): Router {
  const router = Router();
  router.use(
    providerGate(context, {
      provider: 'docusign',
      errors: docusignErrors,
      isAuthenticated: (req) => hasIssuedToken(context, req, 'docusign'),
    }),
  );
  router.use(...providerJsonBody(docusignErrors));
  const base = '/v2.1/accounts/:accountId/envelopes';

  router.post(base, (req, res) => {
    const body = req.body as {
      emailSubject?: string;
      status?: string;
      documents?: Array<{ documentBase64?: string }>;
      recipients?: { signers?: Array<{ name?: string; email?: string }> };
      customFields?: { textCustomFields?: Array<{ name?: string; value?: string }> };
    };
    const signer = body.recipients?.signers?.[0];
    const documentBase64 = body.documents?.[0]?.documentBase64;
    if (signer?.email === undefined || signer.name === undefined || documentBase64 === undefined) {
      docusignError(
        res,
        400,
        'INVALID_REQUEST_PARAMETER',
        'An envelope needs a document and a signer with a name and email.',
      );
      return;
    }
    const envelope: SandboxEnvelope = {
      envelopeId: randomUUID(),
      accountId: req.params.accountId,
      status: 'sent',
      statusChangedDateTime: new Date().toISOString(),
      emailSubject: body.emailSubject ?? '',
      customFields: (body.customFields?.textCustomFields ?? []).map((field) => ({
        name: field.name ?? '',
        value: field.value ?? '',
      })),
      signer: { name: signer.name, email: signer.email },
      documentBase64,
    };
    envelopes.set(envelope.envelopeId, envelope);
    void webhooks.send([connectEvent(envelope, 'envelope-sent')]);
    res.status(201).json({
      envelopeId: envelope.envelopeId,
      status: 'sent',
      statusDateTime: envelope.statusChangedDateTime,
      uri: `/envelopes/${envelope.envelopeId}`,
    });
  });

  router.get(base, (req, res) => {
    const filter = typeof req.query.custom_field === 'string' ? req.query.custom_field : '';
    const [name = '', value] = filter.split('=');
    const found = [...envelopes.values()].filter(
      (envelope) =>
        envelope.accountId === req.params.accountId &&
        (name === '' || envelope.customFields.some((field) => field.name === name && field.value === value)),
    );
    res.json({
      resultSetSize: String(found.length),
      totalSetSize: String(found.length),
      envelopes: found.map(summary),
    });
  });

  router.get(`${base}/:envelopeId`, (req, res) => {
    const envelope = envelopes.get(req.params.envelopeId);
    if (envelope === undefined)
      return docusignError(
        res,
        404,
        'ENVELOPE_DOES_NOT_EXIST',
        'The envelope specified either does not exist or you have no rights to it.',
      );
    res.json(summary(envelope));
  });

  router.put(`${base}/:envelopeId`, (req, res) => {
    const envelope = envelopes.get(req.params.envelopeId);
    if (envelope === undefined)
      return docusignError(
        res,
        404,
        'ENVELOPE_DOES_NOT_EXIST',
        'The envelope specified either does not exist or you have no rights to it.',
      );
    if ((req.body as { status?: string }).status === 'voided') {
      if (envelope.status === 'completed' || envelope.status === 'voided') {
        return docusignError(
          res,
          400,
          'ENVELOPE_CANNOT_VOID_INVALID_STATE',
          'Only envelopes in the Sent or Delivered states may be voided.',
        );
      }
      setStatus(envelope, 'voided');
      void webhooks.send([connectEvent(envelope, 'envelope-voided')]);
    }
    res.json({ envelopeId: envelope.envelopeId });
  });

  router.get(`${base}/:envelopeId/documents/:documentId`, (req, res) => {
    const envelope = envelopes.get(req.params.envelopeId);
    if (envelope === undefined)
      return docusignError(
        res,
        404,
        'ENVELOPE_DOES_NOT_EXIST',
        'The envelope specified either does not exist or you have no rights to it.',
      );
    res.type('application/pdf').send(Buffer.from(envelope.documentBase64, 'base64'));
  });

  router.use((_req, res) =>
    docusignError(res, 404, 'RESOURCE_NOT_FOUND', 'The URL provided does not resolve to a resource.'),
  );

  return router;
}

/** Scripted signer actions (`/_sandbox/docusign/...`) and a test token issuer. */
export function docusignControlRouter(
  context: SandboxContext,
  envelopes: Map<string, SandboxEnvelope>,
  webhooks: SignatureWebhookSender,
): Router {
  const router = Router();
  router.post('/access-tokens', issueAccessToken(context, 'docusign'));
  router.get('/envelopes', (_req, res) => void res.json({ envelopes: [...envelopes.values()].map(summary) }));
  router.post('/envelopes/:envelopeId/:action', (req, res) => {
    const envelope = envelopes.get(req.params.envelopeId);
    const action = req.params.action;
    if (envelope === undefined || (action !== 'sign' && action !== 'decline')) {
      res.status(404).json({ error: 'No such envelope or action (sign, decline)' });
      return;
    }
    if (envelope.status !== 'sent' && envelope.status !== 'delivered') {
      res.status(409).json({ error: `The envelope is ${envelope.status}` });
      return;
    }
    setStatus(envelope, 'delivered');
    const delivered = connectEvent(envelope, 'envelope-delivered');
    setStatus(envelope, action === 'sign' ? 'completed' : 'declined');
    const final = connectEvent(envelope, action === 'sign' ? 'envelope-completed' : 'envelope-declined');
    void webhooks.send([delivered, final]);
    res.json(summary(envelope));
  });

  return router;
}

function setStatus(envelope: SandboxEnvelope, status: SandboxEnvelope['status']): void {
  envelope.status = status;
  envelope.statusChangedDateTime = new Date().toISOString();
}

function summary(envelope: SandboxEnvelope) {
  return {
    envelopeId: envelope.envelopeId,
    status: envelope.status,
    statusChangedDateTime: envelope.statusChangedDateTime,
    emailSubject: envelope.emailSubject,
    customFields: { textCustomFields: envelope.customFields },
  };
}

function connectEvent(envelope: SandboxEnvelope, event: string) {
  const body = JSON.stringify({
    event,
    apiVersion: 'v2.1',
    uri: `/restapi/v2.1/accounts/${envelope.accountId}/envelopes/${envelope.envelopeId}`,
    retryCount: 0,
    configurationId: 10001,
    generatedDateTime: envelope.statusChangedDateTime,
    data: { accountId: envelope.accountId, envelopeId: envelope.envelopeId, envelopeSummary: summary(envelope) },
  });

  return { provider: 'docusign' as const, body, eventId: '', logFields: { envelopeId: envelope.envelopeId, event } };
}
