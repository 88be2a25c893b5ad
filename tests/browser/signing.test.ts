import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEMO_ADMIN_USER_ID, DEMO_ORGANIZATION_ID, DEMO_PROSPECT_ID, DEMO_REP_USER_ID } from '../../prisma/seed';
import {
  hasHorizontalScroll,
  launchBrowser,
  phoneViewport,
  saveScreenshot,
  signInAs,
  type TestBrowser,
} from '../support/browser';
import { startQualifiedProposal } from '../support/proposals';
import { startTestStack, type TestStack } from '../support/stack';
import { waitFor } from '../support/wait';

// Built-in signing end to end in real Chromium: the rep connects Gmail in settings and approves, the cover
// email carries the signing link, the signer signs on a phone-sized screen, and the link then refuses reuse.

let stack: TestStack;
let browser: TestBrowser;

beforeAll(async () => {
  [stack, browser] = await Promise.all([startTestStack(), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

interface SentMessage {
  to: string;
  subject: string;
  text: string;
}

/** Reads the signing link from the cover email that the Gmail stand-in received for this signer. */
async function signingLinkSentTo(address: string): Promise<string> {
  const message = await waitFor(
    async () => {
      const response = await fetch(`${stack.sandbox.url}/_sandbox/gmail/messages`);
      const { messages } = (await response.json()) as { messages: SentMessage[] };

      return messages.find((candidate) => candidate.to.includes(address));
    },
    (found) => found !== undefined,
    `a cover email to ${address}`,
  );
  const link = /https?:\/\/\S+\/sign\/[A-Za-z0-9_-]+/.exec(message!.text)?.[0];
  if (link === undefined) {
    throw new Error(`The cover email to ${address} holds no signing link`);
  }

  return link;
}

describe('built-in signing in the browser', () => {
  let signingPath: string;
  let proposalId: string;

  test('signer signs on a phone and the rep sees it signed', async () => {
    const rep = await browser.open(stack.apiUrl);
    await signInAs(rep.page, 'Riley Rep', '/settings');
    await rep.page.getByRole('button', { name: 'Connect Gmail' }).click();
    await rep.page.getByText('Gmail is connected.').waitFor();
    await rep.page.getByRole('button', { name: 'Disconnect Gmail' }).waitFor();

    ({ proposalId } = await startQualifiedProposal(stack, {
      organizationId: DEMO_ORGANIZATION_ID,
      repUserId: DEMO_REP_USER_ID,
      adminUserId: DEMO_ADMIN_USER_ID,
      prospectId: DEMO_PROSPECT_ID,
    }));
    await rep.page.goto(`/proposals/${proposalId}`);
    const title = await rep.page.getByRole('heading', { level: 1 }).textContent();
    await rep.page.getByRole('button', { name: 'Approve version 1' }).click();
    await rep.page.getByText('Version 1 approved.').waitFor();

    signingPath = new URL(await signingLinkSentTo('dana@contoso.example')).pathname;
    const signer = await browser.open(stack.apiUrl, { viewport: phoneViewport });
    await signer.page.goto(signingPath);
    await signer.page.getByRole('button', { name: 'Sign' }).waitFor();
    expect(await signer.page.getByRole('heading', { level: 1 }).textContent()).toBe(title);
    const shownHash = await signer.page.locator('.facts .hash').textContent();
    expect(shownHash).toMatch(/^[0-9a-f]{64}$/);
    const pdfPath = await signer.page.getByRole('link', { name: 'Read the document (PDF)' }).getAttribute('href');
    expect(pdfPath).toBe(`${signingPath.replace('/sign/', '/signing/')}/document.pdf`);
    const pdf = await signer.context.request.get(pdfPath!);
    expect(pdf.status()).toBe(200);
    expect(pdf.headers()['content-type']).toContain('application/pdf');
    expect((await pdf.body()).subarray(0, 5).toString()).toBe('%PDF-');
    expect(await hasHorizontalScroll(signer.page)).toBe(false);
    await saveScreenshot(signer.page, 'signing-page');

    await signer.page.getByRole('checkbox', { name: /agree to sign/ }).check();
    const nameField = signer.page.getByLabel('Type your full name to sign');
    await nameField.fill('Dana Whitfield');
    await nameField.press('Enter');
    await signer.page.getByRole('heading', { name: 'Signed' }).waitFor();
    expect(await signer.page.locator('.hash').textContent()).toMatch(/^[0-9a-f]{64}$/);
    expect(await hasHorizontalScroll(signer.page)).toBe(false);
    expect(signer.errors).toEqual([]);

    await rep.page.reload();
    await expect
      .poll(() => rep.page.locator('.page-heading .badge').textContent(), { timeout: 60_000, interval: 1000 })
      .toBe('Signed');
  });

  test('reused signing link is refused', async () => {
    expect(signingPath).toBeDefined();
    const again = await browser.open(stack.apiUrl, { viewport: phoneViewport });
    await again.page.goto(signingPath);

    await again.page.getByRole('heading', { name: 'This link was already used' }).waitFor();
    expect(await again.page.getByRole('button', { name: 'Sign' }).count()).toBe(0);
    expect(await hasHorizontalScroll(again.page)).toBe(false);
  });
});
