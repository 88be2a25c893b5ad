import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Builds the web UI with Vite's JavaScript API when ui/dist is missing or older than its sources, so
// `npm start` and the browser tests always serve the UI that matches the checked-out code.

const uiDir = path.resolve(fileURLToPath(new URL('../ui', import.meta.url)));
const sourcePaths = ['src', 'index.html', 'vite.config.ts', 'tsconfig.json'].map((name) => path.join(uiDir, name));

async function newestModification(entry: string): Promise<number> {
  const info = await stat(entry).catch(() => undefined);
  if (info === undefined) {
    return 0;
  }
  if (!info.isDirectory()) {
    return info.mtimeMs;
  }
  const children = await readdir(entry);
  const times = await Promise.all(children.map((child) => newestModification(path.join(entry, child))));

  return Math.max(info.mtimeMs, ...times);
}

/** True when ui/dist/index.html is missing or older than any file of the UI's sources. */
export async function uiBuildIsStale(): Promise<boolean> {
  const built = await stat(path.join(uiDir, 'dist', 'index.html')).catch(() => undefined);
  if (built === undefined) {
    return true;
  }
  const sourceTimes = await Promise.all(sourcePaths.map((entry) => newestModification(entry)));

  return Math.max(...sourceTimes) > built.mtimeMs;
}

/** Runs `vite build` for ui/ (always, or only when stale); returns whether it built. */
export async function buildUi(options: { force?: boolean; log?: (line: string) => void } = {}): Promise<boolean> {
  if (!options.force && !(await uiBuildIsStale())) {
    return false;
  }
  options.log?.('Building the web UI (vite build ui/)');
  // Imported here so processes that never build (the worker, the API alone) do not load Vite.
  const { build } = await import('vite');
  // Vite and the React plugin choose React's development build and JSX runtime from NODE_ENV. A test runner
  // sets it to "test", but the served UI must always be the production build.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ root: uiDir, configFile: path.join(uiDir, 'vite.config.ts'), mode: 'production', logLevel: 'warn' });
  } finally {
    if (nodeEnv === undefined) {
      delete process.env.NODE_ENV;
    } else {
      process.env.NODE_ENV = nodeEnv;
    }
  }

  return true;
}

// `npm run ui:build` builds unconditionally.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildUi({ force: true, log: (line) => process.stdout.write(`${line}\n`) });
}
