// Importing this index pulls in parse.ts and with it node:fs; workflow code imports metrics.ts or
// truncate.ts directly, because the workflow sandbox has no Node modules.

export type { ParsedTranscript, TranscriptFormat, Utterance } from './types';
export { renderTranscriptForPrompt, renderTranscriptLines, transcriptCloseTag, transcriptOpenTag } from './render';
export {
  acceptedTranscriptFormats,
  countSpeakers,
  countTurns,
  parseTranscript,
  readTranscriptFile,
  UnsupportedTranscriptError,
} from './parse';
export {
  computeConversationMetrics,
  countQuestions,
  countWords,
  estimatedWordsPerMinute,
  fillerWordList,
} from './metrics';
export type { ConversationMetrics, FillerWord, LongestMonologue, SpeakerMetrics } from './metrics';
export { truncateToCodePoints } from './truncate';
