import { Router, type Response } from 'express';
import { draftProposalToolName } from '../lib/proposals/content';
import { callAnalysisToolName } from '../lib/schemas/intelligence';
import { transcriptCloseTag, transcriptOpenTag } from '../lib/transcript/render';
import { analyseCall, type PromptUtterance } from './call-analysis';
import type { SandboxContext } from './context';
import { derivedToken } from './ids';
import { draftProposalInput, isDraftProposalTool } from './proposal-draft';
import { nonEmptyHeader, providerGate, providerJsonBody, type ProviderErrors } from './provider-gate';

// Anthropic Messages API stand-in, mounted at /anthropic. Errors use Anthropic's envelope
// `{ type: "error", error: { type, message } }`; an injected server error is 529 overloaded_error.

function sendAnthropicError(res: Response, status: number, type: string, message: string): void {
  res.status(status).json({ type: 'error', error: { type, message } });
}

const anthropicErrors: ProviderErrors = {
  unauthenticated: (res) =>
    sendAnthropicError(res, 401, 'authentication_error', 'x-api-key header is missing or empty'),
  invalidJson: (res) => sendAnthropicError(res, 400, 'invalid_request_error', 'The request body is not valid JSON'),
  rateLimited: (res) =>
    sendAnthropicError(res, 429, 'rate_limit_error', 'Rate limit exceeded, retry after the retry-after delay'),
  serverError: (res) => sendAnthropicError(res, 529, 'overloaded_error', 'Overloaded'),
};

interface MessagesRequest {
  model: string;
  maxTokens: number;
  userText: string;
  analysisToolRequested: boolean;
  /** The request forces the `draft_proposal` tool. */
  draftProposalRequested: boolean;
}

/** Characters per token used to estimate usage and to apply `max_tokens`; an estimate, not a tokenizer. */
const charactersPerToken = 4;

export function anthropicRouter(context: SandboxContext): Router {
  const router = Router();

  router.use(
    providerGate(context, {
      provider: 'anthropic',
      errors: anthropicErrors,
      isAuthenticated: (req) =>
        nonEmptyHeader(req, 'x-api-key') !== undefined || /^Bearer\s+\S+/.test(req.get('authorization') ?? ''),
    }),
  );
  router.use(...providerJsonBody(anthropicErrors));

  router.post('/v1/messages', (req, res) => {
    if (nonEmptyHeader(req, 'anthropic-version') === undefined) {
      sendAnthropicError(res, 400, 'invalid_request_error', 'anthropic-version: header is required');

      return;
    }
    const parsed = parseMessagesRequest(req.body);
    if (typeof parsed === 'string') {
      sendAnthropicError(res, 400, 'invalid_request_error', parsed);

      return;
    }

    const truncatedByFault = context.faults.take('anthropic', 'truncated_output') !== undefined;
    const messageId = derivedToken('msg_', 'anthropic-message', req.body);
    const reply = parsed.draftProposalRequested
      ? draftProposalReply(parsed, messageId, context.faults.take('anthropic', 'tampered_output') !== undefined)
      : parsed.analysisToolRequested
        ? toolReply(parsed, messageId, truncatedByFault)
        : textReply(parsed, truncatedByFault);
    context.log.info(
      { messageId, model: parsed.model, stopReason: reply.stopReason, tool: parsed.analysisToolRequested },
      'Anthropic message answered',
    );

    res.set('request-id', derivedToken('req_', messageId)).json({
      id: messageId,
      type: 'message',
      role: 'assistant',
      model: parsed.model,
      content: reply.content,
      stop_reason: reply.stopReason,
      stop_sequence: null,
      usage: {
        input_tokens: Math.ceil(JSON.stringify(req.body).length / charactersPerToken),
        output_tokens: reply.outputTokens,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
      },
    });
  });

  router.use((_req, res) => sendAnthropicError(res, 404, 'not_found_error', 'Not found'));

  return router;
}

interface Reply {
  content: unknown[];
  stopReason: 'end_turn' | 'tool_use' | 'max_tokens';
  outputTokens: number;
}

function toolReply(request: MessagesRequest, messageId: string, truncatedByFault: boolean): Reply {
  const analysis = analyseCall(transcriptUtterances(request.userText));
  const outputTokens = Math.ceil(JSON.stringify(analysis).length / charactersPerToken);
  const truncated = truncatedByFault || outputTokens > request.maxTokens;
  // A cut-off tool call carries only what was generated before the limit: here the summary alone,
  // which fails the analysis schema as a real truncated input would.
  const input = truncated ? { summary: analysis.summary } : analysis;

  return {
    content: [{ type: 'tool_use', id: derivedToken('toolu_', messageId), name: callAnalysisToolName, input }],
    stopReason: truncated ? 'max_tokens' : 'tool_use',
    outputTokens: truncated ? Math.min(outputTokens, request.maxTokens) : outputTokens,
  };
}

function draftProposalReply(request: MessagesRequest, messageId: string, tampered: boolean): Reply {
  const input = draftProposalInput(request.userText, tampered);

  return {
    content: [{ type: 'tool_use', id: derivedToken('toolu_', messageId), name: draftProposalToolName, input }],
    stopReason: 'tool_use',
    outputTokens: Math.ceil(JSON.stringify(input).length / charactersPerToken),
  };
}

function textReply(request: MessagesRequest, truncatedByFault: boolean): Reply {
  const utterances = transcriptUtterances(request.userText);
  const fullText =
    utterances.length === 0
      ? `Sandbox reply to a message of ${request.userText.length} characters.`
      : analyseCall(utterances).summary;
  const outputTokens = Math.ceil(fullText.length / charactersPerToken);
  const truncated = truncatedByFault || outputTokens > request.maxTokens;
  const keptCharacters = truncatedByFault ? Math.floor(fullText.length / 2) : request.maxTokens * charactersPerToken;
  const text = truncated ? fullText.slice(0, keptCharacters) : fullText;

  return {
    content: [{ type: 'text', text }],
    stopReason: truncated ? 'max_tokens' : 'end_turn',
    outputTokens: Math.ceil(text.length / charactersPerToken),
  };
}

/** Reads the transcript lines ("Speaker: text") between the transcript tags of the user's text. */
export function transcriptUtterances(userText: string): PromptUtterance[] {
  const open = userText.indexOf(`${transcriptOpenTag}\n`);
  const close = userText.lastIndexOf(`\n${transcriptCloseTag}`);
  if (open === -1 || close === -1 || close < open) {
    return [];
  }

  return userText
    .slice(open + transcriptOpenTag.length + 1, close)
    .split('\n')
    .flatMap((line) => {
      const separator = line.indexOf(': ');

      return separator <= 0 ? [] : [{ speaker: line.slice(0, separator), text: line.slice(separator + 2) }];
    });
}

/** Validates the fields the stand-in reads; returns Anthropic's style of message for the first problem. */
function parseMessagesRequest(body: unknown): MessagesRequest | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return 'The request body must be a JSON object';
  }
  const input = body as Record<string, unknown>;
  if (typeof input.model !== 'string' || input.model === '') {
    return 'model: Field required';
  }
  if (typeof input.max_tokens !== 'number' || !Number.isInteger(input.max_tokens) || input.max_tokens < 1) {
    return 'max_tokens: Field required and must be a positive integer';
  }
  if (input.stream === true) {
    return 'stream: the sandbox answers non-streaming requests only';
  }
  if (!Array.isArray(input.messages) || input.messages.length === 0) {
    return 'messages: at least one message is required';
  }

  const userTexts: string[] = [];
  for (const [index, message] of input.messages.entries()) {
    const role = (message as { role?: unknown } | null)?.role;
    if (role !== 'user' && role !== 'assistant') {
      return `messages.${index}.role: Input should be 'user' or 'assistant'`;
    }
    const content = (message as { content?: unknown }).content;
    if (typeof content !== 'string' && !Array.isArray(content)) {
      return `messages.${index}.content: Field required`;
    }
    if (role === 'user') {
      userTexts.push(typeof content === 'string' ? content : textOfBlocks(content));
    }
  }

  const tools = input.tools ?? [];
  if (!Array.isArray(tools)) {
    return 'tools: Input should be a valid list';
  }
  const toolNames: string[] = [];
  for (const [index, tool] of tools.entries()) {
    const candidate = tool as { name?: unknown; input_schema?: { type?: unknown } };
    if (typeof candidate?.name !== 'string' || candidate.input_schema?.type !== 'object') {
      return `tools.${index}: a custom tool needs a name and an input_schema of type "object"`;
    }
    toolNames.push(candidate.name);
  }

  const toolChoice = input.tool_choice as { type?: unknown; name?: unknown } | undefined;
  if (toolChoice?.type === 'tool' && !toolNames.includes(String(toolChoice.name))) {
    return `tool_choice: tool '${String(toolChoice.name)}' is not among the request's tools`;
  }
  const analysisToolRequested =
    toolNames.includes(callAnalysisToolName) &&
    toolChoice?.type !== 'none' &&
    (toolChoice?.type !== 'tool' || toolChoice.name === callAnalysisToolName);

  return {
    model: input.model,
    maxTokens: input.max_tokens,
    userText: userTexts.at(-1) ?? '',
    analysisToolRequested,
    draftProposalRequested: toolChoice?.type === 'tool' && isDraftProposalTool(toolChoice.name),
  };
}

function textOfBlocks(blocks: unknown[]): string {
  return blocks
    .flatMap((block) => {
      const candidate = block as { type?: unknown; text?: unknown } | null;

      return candidate?.type === 'text' && typeof candidate.text === 'string' ? [candidate.text] : [];
    })
    .join('\n');
}
