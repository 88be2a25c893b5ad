import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEMO_ADMIN_USER_ID, DEMO_ORGANIZATION_ID, DEMO_PROSPECT_ID, DEMO_REP_USER_ID } from '../../prisma/seed';
import { launchBrowser, saveScreenshot, signInAs, type TestBrowser } from '../support/browser';
import { startQualifiedProposal, waitForProposalStatus } from '../support/proposals';
import { startTestStack, type TestStack } from '../support/stack';

// A rep's decisions in real Chromium: approve, reject with a reason, edit then approve, and an admin's
// withdrawn consent that keeps a qualifying call from becoming a proposal. The tests run in order on one
// stack; the first one leaves exactly one proposal in the inbox for its screenshot.

let stack: TestStack;
let browser: TestBrowser;

beforeAll(async () => {
  [stack, browser] = await Promise.all([startTestStack(), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

function newProposal(options: { consent?: boolean } = {}) {
  return startQualifiedProposal(stack, {
    organizationId: DEMO_ORGANIZATION_ID,
    repUserId: DEMO_REP_USER_ID,
    adminUserId: DEMO_ADMIN_USER_ID,
    prospectId: DEMO_PROSPECT_ID,
    ...options,
  });
}

async function openAsRep(path: string) {
  const opened = await browser.open(stack.apiUrl);
  await signInAs(opened.page, 'Riley Rep', path);

  return opened;
}

describe('proposal decisions in the browser', () => {
  test('approve records the version shown', async () => {
    const { proposalId } = await newProposal();
    const { page, errors } = await openAsRep('/inbox');

    const link = page.locator(`a[href="/proposals/${proposalId}"]`);
    await link.waitFor();
    expect(await page.locator('tbody tr').count()).toBe(1);
    expect(await page.locator('tbody tr').textContent()).toContain('Dana Whitfield');
    await saveScreenshot(page, 'inbox');

    await link.click();
    await page.getByRole('button', { name: 'Approve version 1' }).waitFor();
    expect(await page.getByRole('heading', { name: 'Line items' }).isVisible()).toBe(true);
    expect(await page.locator('.evidence li').count()).toBeGreaterThan(0);
    await saveScreenshot(page, 'proposal');

    await page.getByRole('button', { name: 'Approve version 1' }).click();
    await page.getByText('Version 1 approved.').waitFor();
    const decisions = page.getByRole('table', { name: 'Decisions' });
    await expect.poll(() => decisions.textContent()).toContain('Approved');
    expect(await page.getByRole('button', { name: /^Approve/ }).count()).toBe(0);
    expect(errors).toEqual([]);
  });

  test('reject requires a reason and shows it', async () => {
    const { proposalId } = await newProposal();
    const { page } = await openAsRep(`/proposals/${proposalId}`);

    await page.getByRole('button', { name: 'Reject', exact: true }).click();
    const submit = page.getByRole('button', { name: 'Reject version 1' });
    expect(await submit.isDisabled()).toBe(true);
    await page.getByLabel(/^Reason/).fill('The prospect asked for a smaller first campaign.');
    await submit.click();

    await page.getByText('Version 1 rejected.').waitFor();
    await page.getByText('Rejected: The prospect asked for a smaller first campaign.').waitFor();
    expect(await page.locator('.page-heading .badge').textContent()).toBe('Rejected');
    await waitForProposalStatus(stack.database.prisma, proposalId, ['rejected']);
  });

  test('edit then approve approves version 2', async () => {
    const { proposalId } = await newProposal();
    const { page } = await openAsRep(`/proposals/${proposalId}`);
    // A second tab still showing version 1, as a rep who left a tab open would have.
    const { page: staleTab } = await openAsRep(`/proposals/${proposalId}`);
    await staleTab.getByRole('button', { name: 'Approve version 1' }).waitFor();

    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Title').fill('Spring campaign for Contoso Retail');
    const firstQuantity = page.getByRole('spinbutton').first();
    await firstQuantity.fill('7');
    await firstQuantity.press('Enter');
    await page.getByText('Saved as version 2.').waitFor();

    await expect
      .poll(() => page.getByRole('heading', { level: 1 }).textContent())
      .toBe('Spring campaign for Contoso Retail');
    const firstRow = page.getByRole('table', { name: 'Line items' }).locator('tbody tr').first();
    expect(await firstRow.locator('td').nth(1).textContent()).toBe('7');
    expect(await page.locator('.facts').textContent()).toContain('Version2');

    await staleTab.getByRole('button', { name: 'Approve version 1' }).click();
    await staleTab
      .getByRole('alert')
      .filter({ hasText: /latest/ })
      .waitFor();

    await page.getByRole('button', { name: 'Approve version 2' }).click();
    await page.getByText('Version 2 approved.').waitFor();
    const approved = await waitForProposalStatus(stack.database.prisma, proposalId, [
      'approved',
      'sent',
      'signed',
      'failed',
    ]);
    expect(approved.approvedVersion).toBe(2);
  });

  test('withdrawn consent blocks generation and says why', async () => {
    const admin = await browser.open(stack.apiUrl);
    await signInAs(admin.page, 'Avery Admin', '/settings');
    const box = admin.page.getByRole('checkbox', { name: /generated from call data/ });
    await expect.poll(() => box.isChecked()).toBe(true);
    await box.uncheck();
    await admin.page.getByText(/Withdrawn by Avery Admin/).waitFor();
    expect(await box.isChecked()).toBe(false);

    const { proposalId } = await newProposal({ consent: false });
    const { page } = await openAsRep('/inbox');
    const warning = page.getByRole('alert').filter({ hasText: 'produced no proposal' });
    await warning.waitFor();
    await warning.locator(`a[href="/proposals/${proposalId}"]`).click();
    const reason = page.getByRole('alert').filter({ hasText: 'No proposal was generated from this call' });
    await reason.waitFor();
    expect(await reason.textContent()).toMatch(/consent/i);
    expect(await page.getByRole('button', { name: /^Approve/ }).count()).toBe(0);
  });
});
