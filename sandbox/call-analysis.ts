import { meddpiccFields, type TCallAnalysis, type TEvidence } from '../lib/schemas/intelligence';

// The Anthropic stand-in's "model": a deterministic reading of the transcript by keyword rules. Every
// evidence quote is a slice of one utterance's text, so it is verbatim by construction, and its speaker
// is that utterance's speaker.

export interface PromptUtterance {
  speaker: string;
  text: string;
}

type MeddpiccField = (typeof meddpiccFields)[number];

interface FieldRule {
  label: string;
  /** Share of the 0-100 score this field carries when identified; half of it when partial. */
  weight: number;
  keywords: RegExp;
}

const numberWords =
  'twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|billion|percent|per cent';

const fieldRules: Record<MeddpiccField, FieldRule> = {
  metrics: {
    label: 'Metrics',
    weight: 15,
    keywords: new RegExp(`\\d|[$€£%]|\\b(${numberWords}|euros?|dollars?|pounds?|revenue|profit|roi)\\b`, 'i'),
  },
  economicBuyer: {
    label: 'Economic buyer',
    weight: 15,
    keywords: /\b(budget\w*|approv\w*|sign[- ]off|cfo|ceo|vp|finance|funding|purchas\w*)\b/i,
  },
  decisionCriteria: {
    label: 'Decision criteria',
    weight: 10,
    keywords: /\b(needs?|must|features?|requirements?|criteria|important|essential)\b/i,
  },
  decisionProcess: {
    label: 'Decision process',
    weight: 15,
    keywords: /\b(decide\w*|decision\w*|next steps?|timeline|deadline|schedul\w*|next meeting)\b/i,
  },
  paperProcess: {
    label: 'Paper process',
    weight: 10,
    keywords: /\b(contracts?|paperwork|forms?|legal|procurement|purchase order|security review|signatures?)\b/i,
  },
  identifiedPain: {
    label: 'Identified pain',
    weight: 15,
    keywords: /\b(problems?|lost|lose|losing|issues?|pain\w*|frustrat\w*|difficult\w*|struggl\w*|broken|annoying)\b/i,
  },
  champion: {
    label: 'Champion',
    weight: 10,
    keywords: /\b(agree\w*|recommend\w*|support\w*|on board|champion\w*|convinc\w*)\b/i,
  },
  competition: {
    label: 'Competition',
    weight: 10,
    keywords: /\b(competitors?|competition|competitive|market|alternatives?|other vendors?|versus)\b/i,
  },
};

type FieldStatus = 'identified' | 'partial' | 'unknown';

/** Share of a field's weight that counts towards the score for each status. */
const statusShare: Record<FieldStatus, number> = { identified: 1, partial: 0.5, unknown: 0 };

const maxQuoteLength = 240;
const evidencePerField = 3;

/** Qualification rule: a call qualifies at a score of 50 or more with the pain at least partly identified, because a deal without a known pain rarely closes whatever else is known. */
const qualifyingScore = 50;

export function analyseCall(utterances: readonly PromptUtterance[]): TCallAnalysis {
  const fields = Object.fromEntries(
    meddpiccFields.map((field) => [field, qualifyField(utterances, fieldRules[field])]),
  ) as TCallAnalysis['qualification']['fields'];
  const score = Math.round(
    meddpiccFields.reduce((total, field) => {
      const status = fields[field].status;
      const share = statusShare[status];

      return total + fieldRules[field].weight * share;
    }, 0),
  );
  const qualifies = score >= qualifyingScore && fields.identifiedPain.status !== 'unknown';

  return {
    summary: summarise(utterances, fields),
    qualification: {
      framework: 'MEDDPICC',
      fields,
      score,
      qualifies,
      rationale: rationale(fields, score, qualifies),
    },
    followUpEmail: followUpEmail(fields),
    conversationPatterns: conversationPatterns(utterances),
  };
}

function qualifyField(utterances: readonly PromptUtterance[], rule: FieldRule) {
  const evidence: TEvidence[] = [];
  const matchedWords = new Set<string>();
  for (const utterance of utterances) {
    const match = rule.keywords.exec(utterance.text);
    if (match === null) {
      continue;
    }
    matchedWords.add(match[0].toLowerCase());
    if (evidence.length < evidencePerField) {
      evidence.push({ speaker: utterance.speaker, quote: quoteAround(utterance.text, match.index) });
    }
  }

  let status: FieldStatus = 'unknown';
  if (evidence.length >= 2) {
    status = 'identified';
  } else if (evidence.length === 1) {
    status = 'partial';
  }
  const summary =
    status === 'unknown'
      ? `${rule.label}: nothing in the call addressed this.`
      : `${rule.label}: raised in ${evidence.length === evidencePerField ? 'several' : evidence.length} statement(s) mentioning ${[...matchedWords].slice(0, 5).join(', ')}.`;

  return { status, summary, evidence };
}

/** Returns the sentence of `text` around `index`, cut to a word-bounded window when long, and always a slice of `text`. */
export function quoteAround(text: string, index: number): string {
  const before = text.slice(0, index);
  const sentenceStart = Math.max(before.search(/[^.?!]*$/), 0);
  const afterMatch = text.slice(index).search(/[.?!](\s|$)/);
  const sentenceEnd = afterMatch === -1 ? text.length : index + afterMatch + 1;
  let start = sentenceStart;
  let end = sentenceEnd;

  if (end - start > maxQuoteLength) {
    start = Math.max(start, index - 100);
    end = Math.min(end, start + maxQuoteLength);
    const firstSpace = text.indexOf(' ', start);
    if (start > sentenceStart && firstSpace !== -1 && firstSpace < index) {
      start = firstSpace + 1;
    }
    const lastSpace = text.lastIndexOf(' ', end);
    if (end < sentenceEnd && lastSpace > index) {
      end = lastSpace;
    }
  }

  const quote = text.slice(start, end).trim();

  return quote === '' ? text.trim() : quote;
}

function summarise(utterances: readonly PromptUtterance[], fields: TCallAnalysis['qualification']['fields']): string {
  if (utterances.length === 0) {
    return 'The request contained no transcript lines, so nothing from the call could be analysed.';
  }
  const speakers = [...new Set(utterances.map((utterance) => utterance.speaker))];
  const raised = meddpiccFields
    .filter((field) => fields[field].status !== 'unknown')
    .map((field) => fieldRules[field].label);

  return `A call of ${utterances.length} utterances between ${speakers.length} speaker(s) (${speakers.join(', ')}). Topics raised: ${raised.length === 0 ? 'none of the qualification areas' : raised.join(', ')}.`;
}

function rationale(fields: TCallAnalysis['qualification']['fields'], score: number, qualifies: boolean): string {
  const byStatus = (status: string) =>
    meddpiccFields.filter((field) => fields[field].status === status).map((field) => fieldRules[field].label);
  const missing = byStatus('unknown');
  const verdict = qualifies
    ? `Qualifies: the score is at least ${qualifyingScore} and the pain is known.`
    : `Does not qualify: a qualifying call needs a score of at least ${qualifyingScore} and a known pain.`;

  return `Score ${score} of 100. Identified: ${byStatus('identified').join(', ') || 'none'}. Partial: ${byStatus('partial').join(', ') || 'none'}. Unknown: ${missing.join(', ') || 'none'}. ${verdict}`;
}

function followUpEmail(fields: TCallAnalysis['qualification']['fields']): TCallAnalysis['followUpEmail'] {
  const nextStep = fields.decisionProcess.evidence[0];
  const points = meddpiccFields
    .filter((field) => field !== 'decisionProcess')
    .flatMap((field) =>
      fields[field].evidence.slice(0, 1).map((evidence) => `- ${fieldRules[field].label}: "${evidence.quote}"`),
    )
    .slice(0, 4);

  const lines = [
    'Hi,',
    '',
    'Thank you for your time today. Here is what I took away from our conversation:',
    ...(points.length === 0
      ? ['- We mostly got to know each other; I would like to learn more about your goals.']
      : points),
    '',
    nextStep === undefined
      ? 'Could we agree on a time for a next conversation?'
      : `On next steps, you said: "${nextStep.quote}". I will follow up accordingly.`,
    '',
    'Best regards',
  ];
  // A subject names the topics, not a quote: spoken words make a poor subject line.
  const topics = meddpiccFields
    .filter((field) => fields[field].status !== 'unknown')
    .map((field) => fieldRules[field].label.toLowerCase())
    .slice(0, 3);
  const subject = topics.length === 0 ? 'Following up on our call' : `Following up on our call: ${joinWithAnd(topics)}`;

  return { subject, body: lines.join('\n').slice(0, 5000) };
}

function joinWithAnd(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)!}`;
}

function conversationPatterns(utterances: readonly PromptUtterance[]): TCallAnalysis['conversationPatterns'] {
  const patterns: TCallAnalysis['conversationPatterns'] = [];
  const questions = utterances.filter((utterance) => utterance.text.includes('?'));
  if (questions.length > 0) {
    patterns.push({
      pattern: 'Questions asked',
      observation: `${questions.length} of ${utterances.length} utterances contain a question.`,
      evidence: questions.slice(0, 3).map((utterance) => ({
        speaker: utterance.speaker,
        quote: quoteAround(utterance.text, utterance.text.indexOf('?')),
      })),
    });
  }

  const wordsBySpeaker = new Map<string, number>();
  for (const utterance of utterances) {
    const words = utterance.text.split(/\s+/).filter((word) => word !== '').length;
    wordsBySpeaker.set(utterance.speaker, (wordsBySpeaker.get(utterance.speaker) ?? 0) + words);
  }
  const totalWords = [...wordsBySpeaker.values()].reduce((sum, words) => sum + words, 0);
  const [topSpeaker, topWords] = [...wordsBySpeaker].sort((a, b) => b[1] - a[1])[0] ?? ['', 0];
  if (totalWords > 0) {
    const longest = utterances
      .filter((utterance) => utterance.speaker === topSpeaker && utterance.text.trim() !== '')
      .sort((a, b) => b.text.length - a.text.length)[0];
    patterns.push({
      pattern: 'Talk share',
      observation: `${topSpeaker} spoke ${Math.round((100 * topWords) / totalWords)}% of the ${totalWords} words.`,
      evidence: longest === undefined ? [] : [{ speaker: longest.speaker, quote: quoteAround(longest.text, 0) }],
    });
  }

  return patterns;
}
