import { z } from 'zod';

// The shape of a proposal's content and of everything that may change it: the model's draft and a rep's
// edit. Line items always come from the price book; prices and totals are computed here, never taken from
// the model or the request. This module is pure so the API, activities and the sandbox can share it.

export const consentScopes = ['generate_from_call_data', 'use_price_book', 'require_rep_approval'] as const;
export type TConsentScope = (typeof consentScopes)[number];

export const ZLineItemSchema = z.object({
  itemId: z.string().min(1),
  sku: z.string(),
  name: z.string(),
  unit: z.string(),
  quantity: z.number().int().min(1),
  unitPriceMinor: z.number().int().min(0),
  totalMinor: z.number().int().min(0),
});

export const ZProposalEvidenceSchema = z.object({
  /** MEDDPICC field the quote supports, e.g. `identifiedPain`. */
  field: z.string().min(1),
  quote: z.string().min(1),
});

export const ZProposalContentSchema = z.object({
  title: z.string().min(1).max(200),
  summary: z.string().max(5000),
  lineItems: z.array(ZLineItemSchema).max(50),
  subtotalMinor: z.number().int().min(0),
  totalMinor: z.number().int().min(0),
  /** ISO 4217 code of every amount, e.g. USD. */
  currency: z.string().length(3),
  terms: z.string().max(20_000),
  evidence: z.array(ZProposalEvidenceSchema).max(40),
});

/** A price-book item picked by the model or a rep: only its id and a quantity. */
export const ZItemPickSchema = z.object({
  itemId: z.string().min(1).max(100),
  quantity: z.number().int().min(1).max(1_000_000),
});

/** Input of the `draft_proposal` tool: the model picks items and writes prose, nothing else. */
export const ZDraftProposalToolInputSchema = z.object({
  title: z.string().min(1).max(200).describe('Short title naming the prospect and the offer'),
  summary: z.string().min(1).max(5000).describe('Why this offer fits the call, in two or three paragraphs'),
  lineItems: z
    .array(ZItemPickSchema.describe('One price-book item by its id, with a whole-number quantity'))
    .min(1)
    .max(20),
});

export const ZProposalChangesSchema = z
  .object({
    title: z.string().trim().min(1).max(200).optional(),
    summary: z.string().max(5000).optional(),
    terms: z.string().max(20_000).optional(),
    lineItems: z.array(ZItemPickSchema).min(1).max(50).optional(),
    signer: z
      .object({ name: z.string().trim().min(1).max(200), email: z.email().max(320) })
      .strict()
      .optional(),
  })
  .strict()
  .refine((changes) => Object.keys(changes).length > 0, { message: 'Name at least one field to change' });

export type TLineItem = z.infer<typeof ZLineItemSchema>;
export type TProposalEvidence = z.infer<typeof ZProposalEvidenceSchema>;
export type TProposalContent = z.infer<typeof ZProposalContentSchema>;
export type TItemPick = z.infer<typeof ZItemPickSchema>;
export type TDraftProposalToolInput = z.infer<typeof ZDraftProposalToolInputSchema>;
export type TProposalChanges = z.infer<typeof ZProposalChangesSchema>;

/** Name of the tool the model must call to draft a proposal. */
export const draftProposalToolName = 'draft_proposal';

/** JSON Schema of the `draft_proposal` tool input, generated from the zod schema so the two cannot drift. */
export function draftProposalInputSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ZDraftProposalToolInputSchema, { target: 'draft-2020-12' }) as Record<string, unknown>;
  delete schema.$schema;

  return schema;
}
