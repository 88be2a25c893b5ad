import type { TimedUtterance, TimedWord } from './call-timeline';

// The AssemblyAI stand-in's entity detection and sentiment analysis: small deterministic rules over
// the words of the played call, reported with the word timings so results line up with utterances.

export interface DetectedEntity {
  entity_type: string;
  text: string;
  start: number;
  end: number;
}

export interface SentimentResult {
  text: string;
  start: number;
  end: number;
  sentiment: 'POSITIVE' | 'NEUTRAL' | 'NEGATIVE';
  confidence: number;
  speaker: string;
}

const numberWord =
  /^(zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|billion|and|a|\d[\d,.]*[km]?)$/i;
const currencyWord = /^(euros?|dollars?|pounds?|bucks|usd|eur|gbp)$/i;
const dateWord =
  /^(monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|tomorrow|yesterday|january|february|march|april|june|july|august|september|october|november|december)$/i;
const durationUnit = /^(seconds?|minutes?|hours?|days?|weeks?|months?|years?)$/i;
const emailAddress = /^[^\s@]+@[^\s@]+\.[a-z]{2,}$/i;
const webAddress = /^(https?:\/\/|www\.)\S+$/i;

const positiveWords = new Set(
  'good great like love agree excellent happy perfect nice cool brilliant interesting helpful thanks thank yes sure fantastic easy trendy'.split(
    ' ',
  ),
);
const negativeWords = new Set(
  'bad problem problems issue issues lost lose hate difficult expensive worry worried concern concerned boring annoying broken wrong fail failed no not'.split(
    ' ',
  ),
);

/** Bare form of a word for matching: lower case without surrounding punctuation. */
function bare(word: TimedWord): string {
  return word.text.toLowerCase().replace(/^[^\p{L}\p{N}$€£@]+|[^\p{L}\p{N}%]+$/gu, '');
}

export function detectEntities(utterances: readonly TimedUtterance[]): DetectedEntity[] {
  const entities: DetectedEntity[] = [];
  for (const utterance of utterances) {
    const words = utterance.words;
    for (let index = 0; index < words.length; index += 1) {
      const word = bare(words[index]!);
      const entity = (type: string, first: number, last: number): void => {
        entities.push({
          entity_type: type,
          text: words
            .slice(first, last + 1)
            .map((item) => item.text)
            .join(' '),
          start: words[first]!.startMs,
          end: words[last]!.endMs,
        });
      };

      if (/^[$€£]\d/.test(word)) {
        entity('money_amount', index, index);
      } else if (currencyWord.test(word)) {
        // Walk back over the spoken number before the currency, e.g. "fifty million Euros".
        let first = index;
        while (first > 0 && numberWord.test(bare(words[first - 1]!))) {
          first -= 1;
        }
        while (first < index && /^(and|a)$/.test(bare(words[first]!))) {
          first += 1;
        }
        if (first < index) {
          entity('money_amount', first, index);
        }
      } else if (dateWord.test(word)) {
        entity('date', index, index);
      } else if (durationUnit.test(word) && index > 0 && numberWord.test(bare(words[index - 1]!))) {
        entity('duration', index - 1, index);
      } else if (emailAddress.test(word)) {
        entity('email_address', index, index);
      } else if (webAddress.test(word)) {
        entity('url', index, index);
      }
    }
  }

  return entities;
}

/** Labels each sentence, as AssemblyAI does: the count of positive minus negative words decides the label. */
export function analyseSentiment(
  utterances: readonly TimedUtterance[],
  speakerLabel: (speaker: string) => string,
): SentimentResult[] {
  const results: SentimentResult[] = [];
  for (const utterance of utterances) {
    let sentence: TimedWord[] = [];
    const flush = (): void => {
      if (sentence.length === 0) {
        return;
      }
      const balance = sentence.reduce((sum, word) => {
        const text = bare(word);

        return sum + (positiveWords.has(text) ? 1 : 0) - (negativeWords.has(text) ? 1 : 0);
      }, 0);
      results.push({
        text: sentence.map((word) => word.text).join(' '),
        start: sentence[0]!.startMs,
        end: sentence.at(-1)!.endMs,
        sentiment: sentimentOf(balance),
        confidence: Math.min(0.99, 0.6 + 0.1 * Math.abs(balance)),
        speaker: speakerLabel(utterance.speaker),
      });
      sentence = [];
    };

    for (const word of utterance.words) {
      sentence.push(word);
      if (/[.?!]$/.test(word.text)) {
        flush();
      }
    }
    flush();
  }

  return results;
}

function sentimentOf(balance: number): SentimentResult['sentiment'] {
  if (balance > 0) {
    return 'POSITIVE';
  }

  return balance < 0 ? 'NEGATIVE' : 'NEUTRAL';
}
