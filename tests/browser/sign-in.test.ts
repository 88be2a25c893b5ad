import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { notFoundHandler } from '../../api/errors';
import { securityHeaders } from '../../api/security';
import { localSignInRoutes, uiRoutes } from '../../api/ui';
import { launchBrowser, phoneViewport, signInAs, type TestBrowser } from '../support/browser';
import { startTestStack, type TestStack } from '../support/stack';

// Sign-in, the settings page and the signing page's refusals, in real Chromium against the whole product.

let stack: TestStack;
let browser: TestBrowser;

beforeAll(async () => {
  [stack, browser] = await Promise.all([startTestStack(), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('web UI sign-in', () => {
  test('lists the seeded users and opens the inbox', async () => {
    const { page, errors } = await browser.open(stack.apiUrl);
    await page.goto('/');
    await page.waitForURL('**/sign-in?next=*');

    const choices = page.getByRole('radio');
    await expect.poll(() => choices.count()).toBe(4);
    await signInAs(page, 'Riley Rep');

    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Proposals');
    expect(await page.getByRole('banner').textContent()).toContain('Riley Rep · rep · Northwind Media');
    expect(errors).toEqual([]);
  });

  test('sign-out returns to the sign-in page', async () => {
    const { page } = await browser.open(stack.apiUrl);
    await signInAs(page, 'Avery Admin', '/settings');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/sign-in');

    await page.goto('/inbox');
    await page.waitForURL('**/sign-in?next=%2Finbox');
  });

  test('keyboard alone signs in', async () => {
    const { page } = await browser.open(stack.apiUrl);
    await page.goto('/sign-in');
    await page.getByRole('radio').first().waitFor();

    // The first user's radio button has focus, so the arrow key picks the next user and Enter submits the form.
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.waitForURL('**/inbox');
    await expect.poll(() => page.getByRole('banner').textContent()).toContain('Alex Auditor · auditor');

    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const element = document.activeElement as HTMLElement;

      return { text: element.textContent, outline: getComputedStyle(element).outlineStyle };
    });
    expect(focused.text).toBe('Skip to content');
    expect(focused.outline).toBe('solid');
  });

  test('unknown signing link says it is not valid', async () => {
    const { page, errors } = await browser.open(stack.apiUrl, { viewport: phoneViewport });
    await page.goto('/sign/not-a-real-token');

    await expect
      .poll(() => page.getByRole('heading', { level: 1 }).textContent())
      .toBe('This signing link is not valid');
    expect(errors.filter((error) => !error.includes('404'))).toEqual([]);
  });
});

describe('settings page', () => {
  test('admin edits price book and rules', async () => {
    const { page, errors } = await browser.open(stack.apiUrl);
    await signInAs(page, 'Avery Admin', '/settings');

    await page.getByText('Add an item').click();
    await page.getByLabel('SKU').fill('NW-PODCAST');
    await page.getByLabel('Name').fill('Podcast host read');
    await page.getByLabel('Unit', { exact: true }).fill('episode');
    await page.getByLabel('Unit price (USD)').fill('2,500.00');
    await page.getByRole('button', { name: 'Add item' }).click();
    const row = page.getByRole('row', { name: /Podcast host read/ });
    await expect.poll(() => row.textContent()).toContain('$2,500.00');

    await page.getByRole('button', { name: 'Edit Podcast host read' }).click();
    await page.getByLabel('Unit price (USD)').first().fill('2750');
    await page.getByRole('button', { name: 'Save item' }).click();
    await expect.poll(() => row.textContent()).toContain('$2,750.00');

    await page.getByRole('button', { name: 'Deactivate Podcast host read' }).click();
    await expect.poll(() => row.textContent()).toContain('Inactive');

    await page.getByLabel('Minimum qualification score').fill('70');
    await page.getByRole('button', { name: 'Save rules' }).click();
    await page.getByText('qualification score is at least 70', { exact: false }).waitFor();
    expect(errors).toEqual([]);
  });

  test('rep reads settings without controls', async () => {
    const { page } = await browser.open(stack.apiUrl);
    await signInAs(page, 'Riley Rep', '/settings');

    await page.getByText('Only a company admin can change these settings').waitFor();
    const boxes = page.getByRole('checkbox');
    await expect.poll(() => boxes.count()).toBe(3);
    for (const box of await boxes.all()) {
      expect(await box.isDisabled()).toBe(true);
    }
    expect(await page.getByText('Add an item').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Save rules' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Connect Gmail' }).waitFor();
  });
});

describe('web UI sign-in with an identity provider', () => {
  test('local sign-in is absent and explained', async () => {
    // The routes as createApp mounts them, under the settings of a production API that verifies JWKS tokens.
    const deps = {
      config: { ...stack.config, NODE_ENV: 'production' as const },
      prisma: stack.database.prisma,
      verifier: { ...stack.verifier, mode: 'jwks' as const },
    };
    const app = express();
    app.use(securityHeaders());
    app.use('/auth', localSignInRoutes(deps));
    app.use(uiRoutes(deps));
    app.use(notFoundHandler);
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    try {
      const signIn = await fetch(`${baseUrl}/auth/local-sign-in`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ userId: 'user_demo_rep' }),
      });
      expect(signIn.status).toBe(404);

      const { page } = await browser.open(baseUrl);
      await page.goto('/sign-in');
      await page.getByText('Sign-in is configured by your identity provider.', { exact: false }).waitFor();
      expect(await page.getByRole('radio').count()).toBe(0);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
