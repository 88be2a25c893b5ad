// Importing this index pulls in hash.ts and with it node:crypto; workflow code imports content.ts directly.

export * from './content';
export * from './hash';
export * from './pricing';
