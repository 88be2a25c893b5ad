import type Anthropic from '@anthropic-ai/sdk';
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import { ErrorCode } from '../lib/errors';
import type { PrismaClient } from '../lib/generated/prisma/client';
import {
  draftProposalInputSchema,
  draftProposalToolName,
  type TDraftProposalToolInput,
  type TProposalContent,
  type TProposalEvidence,
  ZDraftProposalToolInputSchema,
} from '../lib/proposals/content';
import { contentHash } from '../lib/proposals/hash';
import { priceLineItems } from '../lib/proposals/pricing';
import { meddpiccFields, type TQualification } from '../lib/schemas/intelligence';
import { providerFailure, statusOf, withHeartbeats } from './provider-failure';
import { findProposal } from './proposal-store';
import type { ProposalActivities } from './types';

// The draft: Claude reads the call's qualification with its evidence and the active price-book items, and
// answers through the forced `draft_proposal` tool with item ids, quantities and prose. Prices and totals
// are computed here from the price book; an item id the model made up is dropped.

const systemPrompt = [
  'You draft a proposal (insertion order) for a B2B sales rep after a qualifying call.',
  'Pick only items from the price book you are given, by their id, with whole-number quantities that fit what',
  'the call established. Write a short title and a summary that ties the offer to the evidence.',
  'Do not state prices or totals: they are computed from the price book.',
  `Answer only by calling the ${draftProposalToolName} tool.`,
].join(' ');

/** Tags around the two blocks of the user message; the sandbox stand-in reads the same tags. */
export const qualificationTag = 'qualification';
export const priceBookTag = 'price_book';

export interface ProposalDraftOptions {
  prisma: PrismaClient;
  anthropic: Anthropic;
  model: string;
}

export function createProposalDraftActivities(
  options: ProposalDraftOptions,
): Pick<ProposalActivities, 'draftProposal'> {
  const { prisma } = options;

  return {
    async draftProposal({ proposalId }) {
      const existing = await prisma.proposalVersion.findUnique({
        where: { proposalId_version: { proposalId, version: 1 } },
      });
      if (existing !== null) {
        return { version: 1, contentHash: existing.contentHash };
      }

      const proposal = await findProposal(prisma, proposalId);
      const [intelligence, priceBook] = await Promise.all([
        prisma.callIntelligence.findUnique({ where: { meetingId: proposal.meetingId } }),
        prisma.priceBook.findUnique({
          where: { organizationId: proposal.organizationId },
          include: { items: { where: { active: true }, orderBy: { sku: 'asc' } } },
        }),
      ]);
      if (priceBook === null || priceBook.items.length === 0) {
        throw ApplicationFailure.nonRetryable('The price book has no active items to propose', 'price_book_empty');
      }
      const qualification = intelligence?.qualification as TQualification | null;
      if (qualification === null || qualification === undefined) {
        throw ApplicationFailure.nonRetryable('The call has no qualification to draft from', ErrorCode.NotFound);
      }

      const answer = await askModel(options, qualification, priceBook);
      const priced = priceLineItems(answer.lineItems, priceBook.items);
      if (priced.droppedItemIds.length > 0) {
        log.warn('Dropped line items outside the price book', { proposalId, dropped: priced.droppedItemIds.length });
      }
      if (priced.lineItems.length === 0) {
        throw ApplicationFailure.nonRetryable(
          'The model picked no item from the price book',
          ErrorCode.ModelOutputInvalid,
        );
      }
      const content: TProposalContent = {
        title: answer.title,
        summary: answer.summary,
        lineItems: priced.lineItems,
        subtotalMinor: priced.subtotalMinor,
        totalMinor: priced.totalMinor,
        currency: priceBook.currency,
        terms: priceBook.terms,
        evidence: evidenceOf(qualification),
      };
      const hash = contentHash(content);
      await prisma.$transaction([
        prisma.proposalVersion.upsert({
          where: { proposalId_version: { proposalId, version: 1 } },
          create: { proposalId, version: 1, content, contentHash: hash },
          update: {},
        }),
        prisma.proposal.update({ where: { id: proposalId }, data: { latestVersion: 1 } }),
      ]);

      return { version: 1, contentHash: hash };
    },
  };
}

async function askModel(
  options: ProposalDraftOptions,
  qualification: TQualification,
  priceBook: {
    currency: string;
    items: Array<{ id: string; sku: string; name: string; description: string; unit: string; unitPriceMinor: number }>;
  },
): Promise<TDraftProposalToolInput> {
  const context = Context.current();
  const items = priceBook.items.map(({ id, sku, name, description, unit, unitPriceMinor }) => ({
    id,
    sku,
    name,
    description,
    unit,
    unitPriceMinor,
  }));
  const userText = [
    `<${qualificationTag}>`,
    JSON.stringify(qualification),
    `</${qualificationTag}>`,
    `<${priceBookTag} currency="${priceBook.currency}">`,
    JSON.stringify(items),
    `</${priceBookTag}>`,
  ].join('\n');
  const response = await withHeartbeats(
    () => context.heartbeat(),
    () =>
      options.anthropic.messages
        .create(
          {
            model: options.model,
            max_tokens: 4096,
            system: systemPrompt,
            tools: [
              {
                name: draftProposalToolName,
                description: 'Record the proposal draft: price-book items with quantities, a title and a summary.',
                input_schema: draftProposalInputSchema() as Anthropic.Tool.InputSchema,
              },
            ],
            tool_choice: { type: 'tool', name: draftProposalToolName },
            messages: [{ role: 'user', content: userText }],
          },
          { signal: context.cancellationSignal },
        )
        .catch((error: unknown) => {
          throw providerFailure('anthropic', statusOf(error), 'messages.create failed', error);
        }),
  );

  return parseDraft(response);
}

function parseDraft(response: Anthropic.Message): TDraftProposalToolInput {
  if (response.stop_reason === 'max_tokens') {
    throw ApplicationFailure.nonRetryable(
      'The model ran out of output tokens before finishing the draft',
      ErrorCode.ModelOutputTruncated,
    );
  }
  const call = response.content.find(
    (block): block is Anthropic.ToolUseBlock => block.type === 'tool_use' && block.name === draftProposalToolName,
  );
  const parsed = ZDraftProposalToolInputSchema.safeParse(call?.input);
  if (!parsed.success) {
    const paths = parsed.error.issues.slice(0, 5).map((issue) => issue.path.join('.') || '(root)');
    throw ApplicationFailure.nonRetryable(
      `The model's draft does not match the schema at ${paths.join(', ')}`,
      ErrorCode.ModelOutputInvalid,
    );
  }

  return parsed.data;
}

/** The evidence quotes behind the qualification, field by field, so the rep sees why the call qualified. */
function evidenceOf(qualification: TQualification): TProposalEvidence[] {
  return meddpiccFields
    .flatMap((field) => (qualification.fields[field]?.evidence ?? []).map((item) => ({ field, quote: item.quote })))
    .slice(0, 40);
}
