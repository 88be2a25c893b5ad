import type Anthropic from '@anthropic-ai/sdk';
import type { GoogleGenAI } from '@google/genai';
import type { AssemblyAI } from 'assemblyai';
import type { Resend } from 'resend';
import type Stripe from 'stripe';
import type { ConnectionRevoker } from '../lib/account-data/oauth-revocation';
import type { PlanPrices } from '../lib/billing/plans';
import type { PrismaClient } from '../lib/generated/prisma/client';
import type { OAuthTokenVault } from '../lib/oauth/types';
import { createAccountDataActivities } from './account-data';
import { createAnthropicActivities } from './anthropic';
import { createAssemblyAiActivities } from './assemblyai';
import { createCampaignDatabaseActivities } from './campaigns';
import { createBillingActivities } from './billing';
import { createDatabaseActivities } from './database';
import { createSignatureActivities, type SignatureEndpoints } from './e-signature';
import { createGeminiActivities } from './gemini';
import { createInstantlyActivities, type InstantlyClient } from './instantly';
import { createRecallActivities, type RecallClient } from './recall';
import { createStripeActivities } from './stripe';
import { createProposalActivities } from './proposals';
import { createEmailActivities, type EmailActivities } from './resend';
import { createRetentionActivities } from './retention';
import type { AccountDeletionActivities, DataExportActivities, RetentionActivities } from './retention-types';
import type { SignatureActivities } from './signature-types';
import type { AnalysisActivities, BillingActivities, MeetingActivities, ProposalActivities } from './types';

/** Clients and settings the worker hands to the activities; real or sandbox clients look the same here. */
export interface ActivityDependencies {
  prisma: PrismaClient;
  recall: RecallClient;
  anthropic: Anthropic;
  assembly: AssemblyAI;
  genai: GoogleGenAI;
  instantly: InstantlyClient;
  /** The Instantly mailbox campaigns send from and warm-up runs on. */
  instantlySendingAccount: string;
  resend: Resend;
  /** Sender address of transactional email. */
  emailFrom: string;
  anthropicModel: string;
  maxTranscriptCodePoints: number;
  embeddingModel: string;
  stripe: Stripe;
  /** Stripe price ids of the paid plans. */
  planPrices: PlanPrices;
  assemblyWebhook: { url: string; headerName: string; secret: string };
  /** Base URL of the web UI, for links in emails. */
  appBaseUrl: string;
  proposalReminderHours: number[];
  proposalExpiryDays: number;
  /** Users' DocuSign, PandaDoc and Gmail access tokens, refreshed before they expire. */
  oauthVault?: OAuthTokenVault;
  /** Revokes a deleted account's OAuth grants at their providers. */
  revokeOAuthConnection: ConnectionRevoker;
  /** Gmail, DocuSign and PandaDoc API addresses: the real services or the sandbox stand-ins. */
  signatureEndpoints: SignatureEndpoints;
  signingLinkTtlDays: number;
}

export type Activities = MeetingActivities &
  AnalysisActivities &
  BillingActivities &
  EmailActivities &
  ProposalActivities &
  RetentionActivities &
  AccountDeletionActivities &
  DataExportActivities &
  SignatureActivities;

export function createActivities(deps: ActivityDependencies): Activities {
  const email = createEmailActivities({ resend: deps.resend, from: deps.emailFrom });

  return {
    ...createDatabaseActivities({ prisma: deps.prisma }),
    ...createCampaignDatabaseActivities({ prisma: deps.prisma }),
    ...createInstantlyActivities({
      instantly: deps.instantly,
      prisma: deps.prisma,
      sendingAccount: deps.instantlySendingAccount,
    }),
    ...createRecallActivities({ recall: deps.recall, prisma: deps.prisma }),
    ...createAnthropicActivities({
      anthropic: deps.anthropic,
      prisma: deps.prisma,
      model: deps.anthropicModel,
      maxTranscriptCodePoints: deps.maxTranscriptCodePoints,
    }),
    ...createAssemblyAiActivities({
      assembly: deps.assembly,
      recall: deps.recall,
      prisma: deps.prisma,
      webhookUrl: deps.assemblyWebhook.url,
      webhookHeaderName: deps.assemblyWebhook.headerName,
      webhookSecret: deps.assemblyWebhook.secret,
    }),
    ...createGeminiActivities({ genai: deps.genai, prisma: deps.prisma, model: deps.embeddingModel }),
    ...createBillingActivities({ prisma: deps.prisma }),
    ...createStripeActivities({ stripe: deps.stripe, prisma: deps.prisma, prices: deps.planPrices }),
    ...email,
    ...createProposalActivities({
      prisma: deps.prisma,
      anthropic: deps.anthropic,
      model: deps.anthropicModel,
      sendEmail: (message) => email.sendEmail(message),
      appBaseUrl: deps.appBaseUrl,
      reminderHours: deps.proposalReminderHours,
      expiryDays: deps.proposalExpiryDays,
    }),
    ...createSignatureActivities({
      prisma: deps.prisma,
      oauthVault: deps.oauthVault,
      publicBaseUrl: deps.appBaseUrl,
      signingLinkTtlDays: deps.signingLinkTtlDays,
      ...deps.signatureEndpoints,
    }),
    ...createRetentionActivities({ prisma: deps.prisma, recall: deps.recall, assembly: deps.assembly }),
    ...createAccountDataActivities({
      prisma: deps.prisma,
      recall: deps.recall,
      assembly: deps.assembly,
      publicBaseUrl: deps.appBaseUrl,
      sendEmail: (message) => email.sendEmail(message),
      revokeConnection: deps.revokeOAuthConnection,
    }),
  };
}
