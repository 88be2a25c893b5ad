import { mintLocalToken } from '../api/auth';
import { DEMO_ADMIN_USER_ID, DEMO_ORGANIZATION_ID, DEMO_REP_USER_ID } from '../prisma/seed';
import { apiClient, type ApiCall } from './main-job';
import type { Stack } from './stack';

// The main job's second half (`--through signature`): the qualifying call becomes a proposal, the rep
// approves it through the API, and the prospect signs it on the built-in signing page over HTTP. Every
// step uses a door a person would use: the admin's consent, the rep's Gmail connection, the rep's
// approval, and the link in the cover email the prospect receives.

export interface SignedProposal {
  id: string;
  status: string;
  documentSha256: string | null;
}

const consentScopes = ['generate_from_call_data', 'use_price_book', 'require_rep_approval'] as const;
const finalStatuses = new Set(['signed', 'declined', 'voided', 'expired', 'rejected', 'blocked', 'failed']);

interface ProposalSummary {
  id: string;
  meetingId: string;
  status: string;
}

export interface ProposalDetail {
  id: string;
  status: string;
  blockedReason: string | null;
  latestVersion: number;
  documentSha256: string | null;
  signer: { name: string | null; email: string | null };
}

/** Gives the three consents as the demo admin and connects the demo rep's Gmail, before the call is analysed. */
export async function prepareForProposal(stack: Stack, progress: (line: string) => void): Promise<void> {
  const admin = apiClient(stack.apiUrl, await tokenFor(stack, DEMO_ADMIN_USER_ID, 'admin'));
  for (const scope of consentScopes) {
    await admin('PUT', `/api/settings/consent/${scope}`, { granted: true });
  }
  progress('Consent given for proposals (all three boxes)');

  // Called without the JSON client because the response sets a cookie that binds the OAuth state to this
  // browser, and the callback must carry it back.
  const authorize = await fetch(`${stack.apiUrl}/api/connections/gmail/authorize`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${await tokenFor(stack, DEMO_REP_USER_ID, 'rep')}` },
  });
  if (!authorize.ok) {
    throw new Error(`Starting the Gmail connection failed with ${authorize.status}: ${await authorize.text()}`);
  }
  const { url } = (await authorize.json()) as { url: string };
  const cookies = authorize.headers
    .getSetCookie()
    .map((cookie) => cookie.split(';')[0])
    .join('; ');
  // The provider's consent screen redirects to the product's callback, which redirects to the settings page.
  const consent = await fetch(url, { redirect: 'manual' });
  const callbackUrl = consent.headers.get('location');
  if (consent.status !== 302 || callbackUrl === null) {
    throw new Error(`The Gmail consent screen returned ${consent.status} instead of a redirect`);
  }
  const callback = await fetch(callbackUrl, { redirect: 'manual', headers: { Cookie: cookies } });
  const settingsUrl = callback.headers.get('location') ?? '';
  if (callback.status !== 302 || !settingsUrl.includes('connected=gmail')) {
    throw new Error(`Connecting Gmail failed: the callback returned ${callback.status} (${settingsUrl})`);
  }
  progress('Gmail connected for the rep');
}

interface FollowOptions {
  stack: Stack;
  meetingId: string;
  progress: (line: string) => void;
  timeoutMs?: number;
  pollMs?: number;
}

/** Waits for the meeting's proposal to await the rep's decision; undefined when no proposal was started. */
export async function waitForDecision(options: FollowOptions): Promise<ProposalDetail | undefined> {
  const rep = apiClient(options.stack.apiUrl, await tokenFor(options.stack, DEMO_REP_USER_ID, 'rep'));
  // The analysis starts the proposal as it finishes, so a qualifying call shows one within seconds.
  const proposalId = await findProposal(rep, options.meetingId, Date.now() + 30_000, options.pollMs ?? 400).catch(
    () => undefined,
  );
  if (proposalId === undefined) {
    return undefined;
  }

  return waitForDraft(rep, proposalId, options);
}

/** Follows the meeting's proposal to a decision, approves it as the rep, signs it as the prospect, and waits. */
export async function approveAndSign(options: FollowOptions): Promise<SignedProposal> {
  const { stack, meetingId, progress } = options;
  const rep = apiClient(stack.apiUrl, await tokenFor(stack, DEMO_REP_USER_ID, 'rep'));
  const deadline = Date.now() + (options.timeoutMs ?? 3 * 60_000);
  const pollMs = options.pollMs ?? 400;

  const proposalId = await findProposal(rep, meetingId, deadline, pollMs);
  const draft = await waitForDraft(rep, proposalId, options);

  await rep('POST', `/api/proposals/${proposalId}/approve`, { version: draft.latestVersion });
  progress(`Approved version ${draft.latestVersion} as the rep`);

  const signingUrl = await waitFor(deadline, pollMs, 'the cover email with the signing link', () =>
    findSigningLink(stack, draft.signer.email),
  );
  progress("Cover email sent from the rep's Gmail with the signing link");
  await signAsProspect(signingUrl, draft.signer.name ?? 'Prospect');
  progress('Signed on the built-in signing page');

  const final = await waitForStatus(rep, proposalId, deadline, pollMs, (status) => finalStatuses.has(status));
  progress(`Proposal ${final.status}`);

  return { id: proposalId, status: final.status, documentSha256: final.documentSha256 };
}

async function findProposal(rep: ApiCall, meetingId: string, deadline: number, pollMs: number): Promise<string> {
  return waitFor(deadline, pollMs, 'a proposal for the meeting', async () => {
    const { proposals } = (await rep('GET', '/api/proposals')) as { proposals: ProposalSummary[] };

    return proposals.find((proposal) => proposal.meetingId === meetingId)?.id;
  });
}

async function waitForDraft(rep: ApiCall, proposalId: string, options: FollowOptions): Promise<ProposalDetail> {
  options.progress(`Proposal ${proposalId} created`);
  const deadline = Date.now() + (options.timeoutMs ?? 3 * 60_000);
  const draft = await waitForStatus(
    rep,
    proposalId,
    deadline,
    options.pollMs ?? 400,
    (status) => status !== 'generating',
  );
  if (draft.status !== 'awaiting_decision') {
    throw new Error(`The proposal ended ${draft.status} before a decision (${draft.blockedReason ?? 'no reason'})`);
  }
  options.progress(`Draft version ${draft.latestVersion} awaits the rep's decision`);

  return draft;
}

async function tokenFor(stack: Stack, userId: string, role: 'rep' | 'admin'): Promise<string> {
  return mintLocalToken(stack.config, { userId, organizationId: DEMO_ORGANIZATION_ID, role });
}

async function waitForStatus(
  rep: ApiCall,
  proposalId: string,
  deadline: number,
  pollMs: number,
  done: (status: string) => boolean,
): Promise<ProposalDetail> {
  return waitFor(deadline, pollMs, `proposal ${proposalId} to move on`, async () => {
    const proposal = (await rep('GET', `/api/proposals/${proposalId}`)) as ProposalDetail;

    return done(proposal.status) ? proposal : undefined;
  });
}

/** Reads the signer's copy of the cover email from the Gmail stand-in, as the prospect would open it. */
async function findSigningLink(stack: Stack, signerEmail: string | null): Promise<string | undefined> {
  const response = await fetch(`${stack.sandbox.url}/_sandbox/gmail/messages`);
  const { messages } = (await response.json()) as { messages: Array<{ to: string; text: string }> };
  const links = messages
    .filter((message) => signerEmail === null || message.to.includes(signerEmail))
    .map((message) => /https?:\/\/\S+\/sign\/[A-Za-z0-9_-]+/.exec(message.text)?.[0])
    .filter((link): link is string => link !== undefined);

  return links.at(-1);
}

async function signAsProspect(signingUrl: string, signerName: string): Promise<void> {
  const { origin, pathname } = new URL(signingUrl);
  const endpoint = `${origin}/signing/${pathname.split('/').at(-1) ?? ''}`;
  const page = await fetch(endpoint);
  if (!page.ok) {
    throw new Error(`The signing link returned ${page.status}`);
  }
  const signed = await fetch(endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'User-Agent': 'Sales Blitz main job (signer)' },
    body: JSON.stringify({ typedName: signerName, agree: true }),
  });
  if (!signed.ok) {
    throw new Error(`Signing failed with ${signed.status}: ${await signed.text()}`);
  }
}

async function waitFor<T>(
  deadline: number,
  pollMs: number,
  description: string,
  read: () => Promise<T | undefined>,
): Promise<T> {
  for (;;) {
    const value = await read();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out waiting for ${description}`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
