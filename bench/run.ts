import { postCallUsage, runPostCallBenchmark } from './post-call';
import { retentionUsage, runRetentionBenchmark } from './retention';

// Entry point of `npm run bench -- <name> [options]`. Each benchmark is one entry in the table below.

const benchmarks: Record<string, { run: (argv: string[]) => Promise<void>; usage: string }> = {
  'post-call': { run: runPostCallBenchmark, usage: postCallUsage },
  retention: { run: runRetentionBenchmark, usage: retentionUsage },
};

const [name, ...argv] = process.argv.slice(2);
const benchmark = name === undefined ? undefined : benchmarks[name];
if (benchmark === undefined) {
  const known = Object.keys(benchmarks).join(', ');
  if (name === undefined) {
    console.error(`Missing benchmark name. Known benchmarks: ${known}`);
  } else {
    console.error(`Unknown benchmark "${name}". Known benchmarks: ${known}`);
  }
  console.error(
    Object.values(benchmarks)
      .map((entry) => entry.usage)
      .join('\n'),
  );
  process.exit(2);
}

try {
  await benchmark.run(argv);
  // Exit explicitly: the Temporal native runtime and database pools can keep an idle process alive for seconds.
  process.exit(0);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
