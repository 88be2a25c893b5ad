import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { Connection } from '@temporalio/client';
import { searchAttributeDefinitions } from './search-attributes';

// Runs the Temporal CLI dev server (`temporal server start-dev`) for the embedded stack and for tests:
// one process with the frontend, the Web UI and a SQLite file, so workflows survive a restart.

/** Settings used by the embedded stack when the caller does not choose its own. */
export const devServerDefaults = {
  ip: '127.0.0.1',
  port: 7233,
  uiPort: 8233,
  namespace: 'default',
  dbFile: '.data/temporal/dev-server.sqlite',
} as const;

const defaultStartTimeoutMs = 60_000;
const defaultStopGraceMs = 10_000;
const readinessPollMs = 250;
const outputTailLines = 40;

export interface DevServerOptions {
  /** Path of the `temporal` executable, e.g. from findTemporalCli(). */
  cliPath: string;
  /** SQLite file that keeps workflow state across restarts. Its directory is created if missing. */
  dbFile: string;
  /** Frontend gRPC port. */
  port: number;
  /** Temporal Web UI port. */
  uiPort: number;
  /** Address the frontend and the UI bind to. Default 127.0.0.1. */
  ip?: string;
  /** Namespace created at start, in addition to `default`. Default `default`. */
  namespace?: string;
  /** Receives each line the server prints. */
  log?: (line: string) => void;
  /** Time allowed for the frontend to respond, in milliseconds. Default 60 000. */
  startTimeoutMs?: number;
  /** Time between SIGTERM and SIGKILL on stop(), in milliseconds. Default 10 000. */
  stopGraceMs?: number;
}

export interface DevServer {
  /** `host:port` of the frontend, for Connection.connect and NativeConnection.connect. */
  address: string;
  /** Base URL of Temporal Web. */
  webUrl: string;
  /** Process id of the server, for operators who need to find it. */
  pid: number;
  /** Ends the server (SIGTERM, then SIGKILL after the grace period) and resolves once it has exited. */
  stop(): Promise<void>;
}

/** Error raised when the dev server cannot start. The message ends with the tail of the server's output. */
export class DevServerStartError extends Error {
  override name = 'DevServerStartError';
}

/**
 * Starts `temporal server start-dev` with the product's search attributes registered and resolves once the
 * frontend responds to DescribeNamespace. Rejects with DevServerStartError when a port is taken, the process
 * exits early or the frontend does not respond within `startTimeoutMs`.
 */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const ip = options.ip ?? devServerDefaults.ip;
  const namespace = options.namespace ?? devServerDefaults.namespace;
  const address = `${ip}:${options.port}`;

  await assertPortFree(ip, options.port, 'frontend');
  await assertPortFree(ip, options.uiPort, 'Web UI');
  await mkdir(dirname(options.dbFile), { recursive: true });

  const args = [
    'server',
    'start-dev',
    '--ip',
    ip,
    '--port',
    String(options.port),
    '--ui-port',
    String(options.uiPort),
    '--db-filename',
    options.dbFile,
    '--namespace',
    namespace,
    '--log-format',
    'json',
    ...searchAttributeDefinitions.flatMap(({ name, cliType }) => ['--search-attribute', `${name}=${cliType}`]),
  ];
  const child = spawn(options.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  stopWithParent(child.pid);
  const outputTail: string[] = [];
  const forward = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line.trim()) continue;
      outputTail.push(line);
      if (outputTail.length > outputTailLines) outputTail.shift();
      options.log?.(line);
    }
  };
  child.stdout.on('data', forward);
  child.stderr.on('data', forward);

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const stop = () => stopProcess(child, exited, options.stopGraceMs ?? defaultStopGraceMs);

  try {
    await waitForFrontend(address, namespace, exited, options.startTimeoutMs ?? defaultStartTimeoutMs);
  } catch (error) {
    await stop();
    const tail = outputTail.join('\n') || '(no output)';
    throw new DevServerStartError(`${(error as Error).message}\nLast dev server output:\n${tail}`, { cause: error });
  }

  return { address, webUrl: `http://${ip}:${options.uiPort}`, pid: child.pid ?? -1, stop };
}

/**
 * Starts a small shell watchdog that ends the server when this process dies without calling stop() (a crash,
 * SIGKILL, a test runner killing its worker), so no dev server outlives the process that started it.
 */
function stopWithParent(serverPid: number | undefined): void {
  if (serverPid === undefined) {
    return;
  }
  const script = `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${serverPid} 2>/dev/null; do sleep 1; done; kill -TERM ${serverPid} 2>/dev/null`;
  spawn('/bin/sh', ['-c', script], { stdio: 'ignore', detached: true }).unref();
}

/** Returns `count` distinct TCP ports that were free on 127.0.0.1 when checked. */
export async function findFreeLoopbackPorts(count: number): Promise<number[]> {
  // Hold every listener open until all are chosen, so the operating system never hands out the same port twice.
  const servers = await Promise.all(
    Array.from({ length: count }, async () => {
      const server = createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });

      return server;
    }),
  );
  const ports = servers.map((server) => {
    const bound = server.address();
    if (bound === null || typeof bound === 'string') throw new Error('listener has no TCP address');

    return bound.port;
  });
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));

  return ports;
}

async function assertPortFree(ip: string, port: number, role: string): Promise<void> {
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, ip, () => resolve());
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'EADDRINUSE' ? 'is already in use' : `cannot be bound (${code ?? String(error)})`;
    throw new DevServerStartError(
      `Temporal dev server ${role} port ${ip}:${port} ${reason}. Choose another port or stop the process using it.`,
    );
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

async function waitForFrontend(
  address: string,
  namespace: string,
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitMessage: string | undefined;
  void exited.then(({ code, signal, error }) => {
    exitMessage = error
      ? `Temporal dev server could not be started: ${error.message}`
      : `Temporal dev server exited before it was ready (exit code ${code}, signal ${signal})`;
  });

  let lastError: unknown;
  while (Date.now() < deadline) {
    if (exitMessage) throw new Error(exitMessage);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });

        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, readinessPollMs));
  }

  if (exitMessage) throw new Error(exitMessage);
  const reason = lastError instanceof Error ? lastError.message : String(lastError);
  throw new Error(`Temporal dev server at ${address} did not respond within ${timeoutMs} ms (last error: ${reason})`);
}

async function stopProcess(child: ChildProcess, exited: Promise<unknown>, graceMs: number): Promise<void> {
  // ChildProcess.kill() does nothing once Node has seen the exit, so a reused process id is never signalled.
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
