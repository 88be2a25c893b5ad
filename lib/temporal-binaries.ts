import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, chmod, copyFile, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Finds (and on request builds) the two Temporal servers the product runs locally: the Temporal CLI dev
// server and the time-skipping test server. @temporalio/testing would download both from a host that is
// not always reachable, so they are built from the Go module proxy and Maven Central instead.
// Builds live in the user cache, outside the repository, so a fresh clone on the same machine reuses them.
// When nothing is found the finders return undefined and callers fall back to the SDK's own download.

/** Temporal CLI release built by `go install`. Releases from v1.6.0 on carry a `replace` directive, so `go install` rejects them. */
export const temporalCliVersion = 'v1.5.1';

const temporalCliModule = 'github.com/temporalio/cli/cmd/temporal';
const testServerMainClass = 'io.temporal.testserver.TestServer';
const progressIntervalMs = 30_000;
// Maven 3.8.7 still prints colour reset codes with -q and -Dstyle.color=never.
const ansiEscape = /\x1b\[[0-9;]*m/g;

const repositoryRoot = fileURLToPath(new URL('..', import.meta.url));
const testServerPom = join(repositoryRoot, 'temporal', 'test-server', 'pom.xml');
const testServerWrapper = join(repositoryRoot, 'temporal', 'test-server', 'temporal-test-server');

export interface FindBinaryOptions {
  /** Build the binary when no copy is found (minutes for the CLI the first time). Default false. */
  build?: boolean;
  /** Receives progress lines while a build runs. */
  log?: (line: string) => void;
}

/** Error raised when a binary cannot be found or built, with a message that names the missing tool. */
export class TemporalToolchainError extends Error {
  override name = 'TemporalToolchainError';
}

/** Returns `${XDG_CACHE_HOME:-$HOME/.cache}/sales-blitz`, the directory for builds kept across clones. */
export function salesBlitzCacheDir(): string {
  const cacheHome = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');

  return join(cacheHome, 'sales-blitz');
}

/**
 * Finds the Temporal CLI: `TEMPORAL_CLI_PATH`, then `temporal` on PATH, then the cached build, then (with
 * `build: true`) builds it with `go install`. Resolves undefined when nothing is found and building is off.
 * Rejects with TemporalToolchainError when `TEMPORAL_CLI_PATH` is not executable or the build fails.
 */
export async function findTemporalCli(options: FindBinaryOptions = {}): Promise<string | undefined> {
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
  if (fromEnv) {
    return requireExecutable(fromEnv, 'TEMPORAL_CLI_PATH');
  }

  const onPath = await findOnPath('temporal');
  if (onPath) {
    return onPath;
  }

  const cached = join(salesBlitzCacheDir(), 'bin', 'temporal');
  if (await isExecutable(cached)) {
    return cached;
  }
  if (!options.build) {
    return undefined;
  }

  return buildTemporalCli(cached, options.log ?? (() => {}));
}

/**
 * Finds the time-skipping test server: `TEMPORAL_TEST_SERVER_PATH`, then the cached wrapper for the version
 * pinned in `temporal/test-server/pom.xml`, then (with `build: true`) resolves its jars with Maven.
 * Resolves undefined when nothing is found and building is off.
 */
export async function findTestServer(options: FindBinaryOptions = {}): Promise<string | undefined> {
  const fromEnv = process.env.TEMPORAL_TEST_SERVER_PATH;
  if (fromEnv) {
    return requireExecutable(fromEnv, 'TEMPORAL_TEST_SERVER_PATH');
  }

  const version = await readTestServerVersion();
  const installDir = join(salesBlitzCacheDir(), 'test-server', version);
  const wrapper = join(installDir, 'temporal-test-server');
  if ((await isExecutable(wrapper)) && (await hasTestServerJar(installDir, version))) {
    return wrapper;
  }
  if (!options.build) {
    return undefined;
  }

  return buildTestServer(installDir, options.log ?? (() => {}));
}

async function buildTemporalCli(target: string, log: (line: string) => void): Promise<string> {
  await requireCommand(
    'go',
    ['version'],
    'Go is missing: install Go 1.25 or newer (the version its go.mod requires) to build the Temporal CLI',
  );

  const cacheDir = salesBlitzCacheDir();
  const env = {
    ...process.env,
    GOBIN: dirname(target),
    GOPATH: join(cacheDir, 'gopath'),
    GOCACHE: join(cacheDir, 'gocache'),
    // A go.mod in the working directory must not steer this install.
    GOFLAGS: '-mod=mod',
  };
  log(`Building the Temporal CLI ${temporalCliVersion} into ${dirname(target)}; the first build takes several minutes`);

  const result = await runWithProgress('go', ['install', `${temporalCliModule}@${temporalCliVersion}`], {
    env,
    cwd: cacheDir,
    log,
    label: 'go install',
  });
  if (result.exitCode !== 0 || !(await isExecutable(target))) {
    throw new TemporalToolchainError(
      `go install ${temporalCliModule}@${temporalCliVersion} failed (exit ${result.exitCode}): ${lastLine(result.output)}`,
    );
  }
  log(`Temporal CLI ready at ${target}`);

  return target;
}

async function buildTestServer(installDir: string, log: (line: string) => void): Promise<string> {
  // Java first: Maven needs it too, and a missing JDK would otherwise read as a missing Maven.
  const javaBin = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  await requireCommand(javaBin, ['-version'], `Java is missing (${javaBin}): install a JDK 17 to run the test server`);
  await requireCommand(
    'mvn',
    ['-v'],
    'Maven (mvn) is missing or fails to start: install Maven 3 to fetch the test server jars',
  );

  // Resolve into a sibling directory and rename at the end, so an interrupted build never leaves a
  // wrapper next to a partial set of jars.
  const stagingDir = `${installDir}.partial-${process.pid}`;
  await rm(stagingDir, { recursive: true, force: true });
  await mkdir(stagingDir, { recursive: true });
  log(`Resolving the Temporal test server jars with Maven into ${installDir}`);

  const args = [
    '-B',
    '-q',
    '-Dstyle.color=never',
    '-f',
    testServerPom,
    'dependency:copy-dependencies',
    '-DincludeScope=runtime',
    `-DoutputDirectory=${join(stagingDir, 'lib')}`,
  ];
  const result = await runWithProgress('mvn', args, { env: process.env, cwd: stagingDir, log, label: 'mvn' });
  if (result.exitCode !== 0) {
    await rm(stagingDir, { recursive: true, force: true });
    throw new TemporalToolchainError(
      `mvn dependency:copy-dependencies failed (exit ${result.exitCode}): ${lastLine(result.output)}`,
    );
  }

  const stagedWrapper = join(stagingDir, 'temporal-test-server');
  await copyFile(testServerWrapper, stagedWrapper);
  await chmod(stagedWrapper, 0o755);
  await rm(installDir, { recursive: true, force: true });
  await rename(stagingDir, installDir);
  log(`Temporal test server ready at ${join(installDir, 'temporal-test-server')} (main class ${testServerMainClass})`);

  return join(installDir, 'temporal-test-server');
}

async function readTestServerVersion(): Promise<string> {
  const pom = await readFile(testServerPom, 'utf8');
  const match = /<temporal\.test-server\.version>([^<]+)<\/temporal\.test-server\.version>/.exec(pom);
  if (!match?.[1]) {
    throw new TemporalToolchainError(`${testServerPom} has no <temporal.test-server.version> property`);
  }

  return match[1].trim();
}

async function hasTestServerJar(installDir: string, version: string): Promise<boolean> {
  try {
    const jars = await readdir(join(installDir, 'lib'));

    return jars.includes(`temporal-test-server-${version}.jar`);
  } catch {
    return false;
  }
}

async function requireExecutable(path: string, variable: string): Promise<string> {
  if (!(await isExecutable(path))) {
    throw new TemporalToolchainError(`${variable} is set to ${path}, which is not an executable file`);
  }

  return path;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);

    return true;
  } catch {
    return false;
  }
}

async function findOnPath(command: string): Promise<string | undefined> {
  for (const directory of (process.env.PATH ?? '').split(delimiter)) {
    if (!directory) continue;
    const candidate = join(directory, command);
    if (await isExecutable(candidate)) {
      return candidate;
    }
  }

  return undefined;
}

async function requireCommand(command: string, args: string[], missingMessage: string): Promise<void> {
  const result = await runWithProgress(command, args, { env: process.env, log: () => {}, label: command });
  if (result.exitCode !== 0) {
    throw new TemporalToolchainError(missingMessage);
  }
}

interface RunResult {
  exitCode: number;
  output: string;
}

/** Runs a command, forwarding each output line to `log`, plus a heartbeat line every 30 s for quiet stretches. */
function runWithProgress(
  command: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string; log: (line: string) => void; label: string },
): Promise<RunResult> {
  return new Promise((resolve) => {
    const startedAt = Date.now();
    let output = '';
    const child = spawn(command, args, { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const heartbeat = setInterval(() => {
      options.log(`${options.label} still running (${Math.round((Date.now() - startedAt) / 1000)} s)`);
    }, progressIntervalMs);

    const forward = (chunk: Buffer) => {
      const text = chunk.toString();
      // Only the tail matters for error messages; a Go build prints thousands of lines.
      output = (output + text).slice(-8_000);
      for (const line of text.split('\n')) {
        const plain = line.replace(ansiEscape, '').trimEnd();
        if (plain.trim()) options.log(plain);
      }
    };
    child.stdout.on('data', forward);
    child.stderr.on('data', forward);

    // ENOENT arrives here, not as a throw: report it as a failed run so callers print their own message.
    child.on('error', (error) => {
      clearInterval(heartbeat);
      resolve({ exitCode: 127, output: error.message });
    });
    child.on('close', (code) => {
      clearInterval(heartbeat);
      resolve({ exitCode: code ?? 1, output });
    });
  });
}

function lastLine(output: string): string {
  const lines = output.split('\n').filter((line) => line.trim() !== '');

  return lines.at(-1)?.trim() ?? 'no output';
}
