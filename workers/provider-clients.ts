import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { AssemblyAI } from 'assemblyai';
import { Resend } from 'resend';
import { InstantlyClient } from '../activities/instantly';
import { RecallClient } from '../activities/recall';
import type { TConfig } from '../lib/config';

// Builds the official SDK clients the activities use. A provider whose API key is set is called for
// real, at its base URL variable or else its public API. Every other provider is pointed at the local
// sandbox, which speaks the same HTTP API.

export interface ProviderClients {
  recall: RecallClient;
  anthropic: Anthropic;
  assembly: AssemblyAI;
  genai: GoogleGenAI;
  resend: Resend;
  instantly: InstantlyClient;
  /** Per provider, true when the client points at the local sandbox rather than the real service. */
  sandboxed: Record<'recall' | 'anthropic' | 'assemblyai' | 'gemini' | 'resend' | 'instantly', boolean>;
}

const sandboxKey = 'sandbox-key';

export function createProviderClients(config: TConfig): ProviderClients {
  const sandbox = config.sandboxUrl;
  const sandboxed = {
    recall: config.RECALL_API_KEY === undefined,
    anthropic: config.ANTHROPIC_API_KEY === undefined,
    assemblyai: config.ASSEMBLYAI_API_KEY === undefined,
    gemini: config.GEMINI_API_KEY === undefined,
    resend: config.RESEND_API_KEY === undefined,
    instantly: config.INSTANTLY_API_KEY === undefined,
  };

  return {
    recall: new RecallClient({
      apiKey: config.RECALL_API_KEY ?? sandboxKey,
      baseUrl: sandboxed.recall ? `${sandbox}/recall` : (config.RECALL_BASE_URL ?? 'https://us-west-2.recall.ai'),
    }),
    anthropic: new Anthropic({
      apiKey: config.ANTHROPIC_API_KEY ?? sandboxKey,
      // Temporal retries the activity; SDK-level retries would multiply attempts behind its back.
      maxRetries: 0,
      timeout: 5 * 60_000,
      ...(sandboxed.anthropic
        ? { baseURL: `${sandbox}/anthropic` }
        : config.ANTHROPIC_BASE_URL
          ? { baseURL: config.ANTHROPIC_BASE_URL }
          : {}),
    }),
    assembly: new AssemblyAI({
      apiKey: config.ASSEMBLYAI_API_KEY ?? sandboxKey,
      ...(sandboxed.assemblyai
        ? { baseUrl: `${sandbox}/assemblyai` }
        : config.ASSEMBLYAI_BASE_URL
          ? { baseUrl: config.ASSEMBLYAI_BASE_URL }
          : {}),
    }),
    genai: new GoogleGenAI({
      apiKey: config.GEMINI_API_KEY ?? sandboxKey,
      ...(sandboxed.gemini
        ? { httpOptions: { baseUrl: `${sandbox}/gemini` } }
        : config.GEMINI_BASE_URL
          ? { httpOptions: { baseUrl: config.GEMINI_BASE_URL } }
          : {}),
    }),
    resend: new Resend(config.RESEND_API_KEY ?? sandboxKey, {
      baseUrl: sandboxed.resend ? `${sandbox}/resend` : (config.RESEND_BASE_URL ?? 'https://api.resend.com'),
    }),
    instantly: new InstantlyClient({
      apiKey: config.INSTANTLY_API_KEY ?? sandboxKey,
      baseUrl: sandboxed.instantly ? `${sandbox}/instantly` : (config.INSTANTLY_BASE_URL ?? 'https://api.instantly.ai'),
    }),
    sandboxed,
  };
}
