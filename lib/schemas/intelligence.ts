import { z } from 'zod';

// The structured result of the Claude pass. The same schema validates the model's tool input and is
// sent to the model as the tool's JSON Schema, so the two cannot drift apart.

export const ZEvidenceSchema = z.object({
  speaker: z.string().min(1).describe('Speaker label exactly as it appears in the transcript'),
  quote: z.string().min(1).describe('Verbatim words from the transcript, copied exactly'),
});

export const ZQualificationFieldSchema = z.object({
  status: z.enum(['identified', 'partial', 'unknown']),
  summary: z.string(),
  evidence: z.array(ZEvidenceSchema).max(5),
});

/** MEDDPICC: the deal-qualification fields reps fill in after a discovery call. */
export const meddpiccFields = [
  'metrics',
  'economicBuyer',
  'decisionCriteria',
  'decisionProcess',
  'paperProcess',
  'identifiedPain',
  'champion',
  'competition',
] as const;

export const ZQualificationSchema = z.object({
  framework: z.literal('MEDDPICC'),
  fields: z.object(
    Object.fromEntries(meddpiccFields.map((field) => [field, ZQualificationFieldSchema])) as Record<
      (typeof meddpiccFields)[number],
      typeof ZQualificationFieldSchema
    >,
  ),
  score: z.number().int().min(0).max(100).describe('Share of MEDDPICC fields identified, weighted, 0-100'),
  qualifies: z.boolean(),
  rationale: z.string(),
});

export const ZFollowUpEmailSchema = z.object({
  subject: z.string().min(1).max(200),
  body: z.string().min(1).max(5000),
});

export const ZConversationPatternSchema = z.object({
  pattern: z.string().min(1),
  observation: z.string(),
  evidence: z.array(ZEvidenceSchema).max(3),
});

export const ZCallAnalysisSchema = z.object({
  summary: z.string().min(1),
  qualification: ZQualificationSchema,
  followUpEmail: ZFollowUpEmailSchema,
  conversationPatterns: z.array(ZConversationPatternSchema).max(10),
});

export type TEvidence = z.infer<typeof ZEvidenceSchema>;
export type TQualification = z.infer<typeof ZQualificationSchema>;
export type TFollowUpEmail = z.infer<typeof ZFollowUpEmailSchema>;
export type TCallAnalysis = z.infer<typeof ZCallAnalysisSchema>;

/** Name of the tool the model must call; its input is the analysis. */
export const callAnalysisToolName = 'record_call_analysis';

/** JSON Schema of the tool input, generated from the zod schema. */
export function callAnalysisInputSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ZCallAnalysisSchema, { target: 'draft-2020-12' }) as Record<string, unknown>;
  delete schema.$schema;

  return schema;
}
