import { parseArgs } from 'node:util';
import { mintLocalToken, roleFromClaim } from '../api/auth';
import { loadConfig } from '../lib/config';

// `npm run token -- --user U --org O --role R`: prints a bearer token signed with the local key, for
// local use only. It is disabled when NODE_ENV=production.

const usage = 'Usage: npm run token -- --user USER_ID --org ORGANIZATION_ID --role rep|admin|auditor [--expires 12h]';

function main(): Promise<number> | number {
  let values;
  try {
    values = parseArgs({
      options: {
        user: { type: 'string' },
        org: { type: 'string' },
        role: { type: 'string' },
        expires: { type: 'string' },
      },
      strict: true,
    }).values;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${usage}\n`);
    return 2;
  }
  const role = roleFromClaim(values.role);
  if (!values.user || !values.org || role === undefined || values.role === 'member') {
    process.stderr.write(`--user, --org and --role (rep, admin or auditor) are required\n${usage}\n`);
    return 2;
  }
  const config = loadConfig();
  if (config.NODE_ENV === 'production') {
    process.stderr.write(
      'Local token signing is disabled when NODE_ENV=production; use tokens from your identity provider\n',
    );
    return 1;
  }

  return mintLocalToken(
    config,
    { userId: values.user, organizationId: values.org, role },
    { expiresIn: values.expires },
  ).then((token) => {
    process.stdout.write(`${token}\n`);
    return 0;
  });
}

process.exitCode = await main();
