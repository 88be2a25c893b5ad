import express, { type Express } from 'express';
import type { SandboxContext } from './context';
import { docusignControlRouter, docusignRouter, type SandboxEnvelope } from './docusign';
import { gmailControlRouter, gmailRouter, type SandboxGmailMessage } from './gmail';
import { pandadocControlRouter, pandadocRouter, type SandboxPandadocDocument } from './pandadoc';
import { SignatureWebhookSender, type SignatureWebhookTargets } from './signature-webhooks';

// Mounts the Gmail, DocuSign and PandaDoc stand-ins with their control routes under /_sandbox/<provider>.

export function mountSignatureStandIns(app: Express, context: SandboxContext, targets: SignatureWebhookTargets): void {
  const messages: SandboxGmailMessage[] = [];
  const envelopes = new Map<string, SandboxEnvelope>();
  const documents = new Map<string, SandboxPandadocDocument>();
  const webhooks = new SignatureWebhookSender(context, targets);
  const controlBody = express.json({ limit: '1mb' });

  app.use('/_sandbox/gmail', controlBody, gmailControlRouter(context, messages));
  app.use('/_sandbox/docusign', controlBody, docusignControlRouter(context, envelopes, webhooks));
  app.use('/_sandbox/pandadoc', controlBody, pandadocControlRouter(context, documents, webhooks));
  app.use('/gmail', gmailRouter(context, messages));
  app.use('/docusign/restapi', docusignRouter(context, envelopes, webhooks));
  app.use('/pandadoc', pandadocRouter(context, documents, webhooks));
}
