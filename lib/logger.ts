import pino, { type Logger } from 'pino';

// One pino logger for everything outside workflows: JSON in production, readable lines on a terminal.
// Log constant messages with ids as fields; never tokens, keys or transcript text (redaction below is a
// second line of defence, not the first).

const redactedPaths = [
  'authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.apiKey',
  '*.token',
  '*.secret',
  '*.text',
  '*.transcript',
];

export function createLogger(options: { level?: string; name?: string; pretty?: boolean } = {}): Logger {
  const pretty = options.pretty ?? (process.env.NODE_ENV !== 'production' && process.stdout.isTTY === true);

  return pino({
    name: options.name ?? 'sales-blitz',
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: { paths: redactedPaths, censor: '[redacted]' },
    transport: pretty ? { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname' } } : undefined,
  });
}

export type { Logger };
