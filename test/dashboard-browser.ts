// Driving the Dashboard in a real browser (Debian's chromium through puppeteer-core), for the browser test and for
// lab checks against a deployed dashboard (https://NODE:30443): log in with a token, open a route, act on the object
// page (scale, delete, YAML), wait for what the page shows, and save screenshots into one directory.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

const byTestId = (id: string) => `[data-testid="${id}"]`;

/** What the page runs in waitForFunction/evaluate: written against `any`, as the tests compile without the DOM lib. */
type InPage = any;

export interface DashboardBrowser {
  page: Page;
  /** Where screenshots go. */
  shotsDir: string;
  /** Saves a full-page screenshot as NN-name.png; returns its path. */
  shot(name: string): Promise<string>;
  /** Opens the login page, pastes the token and waits for the top bar to show `expectUser`. */
  login(token: string, expectUser: string | RegExp): Promise<void>;
  logout(): Promise<void>;
  /** Opens a route of the app (`workloads`, `object/apps/deployments/default/web`…). */
  goto(route: string): Promise<void>;
  click(testId: string): Promise<void>;
  /** Sets a (React-controlled) input or textarea's value as typing would. */
  setValue(testId: string, value: string): Promise<void>;
  value(testId: string): Promise<string>;
  /** Waits until the element's text matches; returns the text. */
  waitForText(testId: string, want: RegExp, timeoutMs?: number): Promise<string>;
  /** Waits for an API error alert (optionally of one HTTP code) whose text matches; returns its text. */
  waitForError(want: RegExp, code?: number, timeoutMs?: number): Promise<string>;
  /** Picks a namespace in the top bar's selector; '' is all namespaces. */
  selectNamespace(namespace: string): Promise<void>;
  /** On an object page with a /scale subresource: Scale, the replica count, confirm. */
  scale(replicas: number): Promise<void>;
  /** On an object page: Delete, then confirm in the dialog. */
  deleteObject(): Promise<void>;
  close(): Promise<void>;
}

export async function openDashboard(baseURL: string, o: { shotsDir?: string; executablePath?: string } = {}): Promise<DashboardBrowser> {
  const shotsDir = o.shotsDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'kubets-dashboard-shots-'));
  fs.mkdirSync(shotsDir, { recursive: true });
  const browser: Browser = await puppeteer.launch({
    executablePath: o.executablePath ?? CHROMIUM,
    headless: true,
    acceptInsecureCerts: true,
    // Root in a container: chromium's sandbox needs user namespaces we do not have.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
    defaultViewport: { width: 1400, height: 900 },
    // A loaded machine (the test suite runs beside other work) starts chromium slowly.
    timeout: 90_000,
  });
  try {
    const page = await browser.newPage();
    const root = new URL(baseURL);
    let shots = 0;
    /** A wait that fails leaves a screenshot of what the page showed instead. */
    const failureShot = async <T>(name: string, wait: () => Promise<T>): Promise<T> => {
      try {
        return await wait();
      } catch (e) {
        await page.screenshot({ path: path.join(shotsDir, `failed-${name}.png`) as `${string}.png`, fullPage: true }).catch(() => undefined);
        throw e;
      }
    };
    // Polled, not on DOM mutations: puppeteer's mutation polling does not see a text node's data change, which is how
    // React updates a growing log.
    const waitForText = async (testId: string, want: RegExp, timeoutMs = 15_000) => {
      const handle = await failureShot(`wait-${testId}`, () => page.waitForFunction(
        (sel: string, src: string, flags: string) => {
          const el = (globalThis as InPage).document.querySelector(sel);
          const text: string = el ? (el.value !== undefined && el.tagName !== 'LI' ? el.value : el.textContent) ?? '' : '';
          return new RegExp(src, flags).test(text) ? text : false;
        },
        { timeout: timeoutMs, polling: 100 },
        byTestId(testId), want.source, want.flags,
      ));
      return (await handle.jsonValue()) as string;
    };
    const b: DashboardBrowser = {
      page,
      shotsDir,
      async shot(name) {
        const file = path.join(shotsDir, `${String(++shots).padStart(2, '0')}-${name}.png`);
        await page.screenshot({ path: file as `${string}.png`, fullPage: true });
        return file;
      },
      async login(token, expectUser) {
        await page.goto(new URL('/', root).toString(), { waitUntil: 'domcontentloaded' });
        await page.waitForSelector(byTestId('token'));
        await b.setValue('token', token);
        await b.click('login');
        await waitForText('user', typeof expectUser === 'string' ? new RegExp(`^${expectUser.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : expectUser);
      },
      async logout() {
        await b.click('logout');
        await page.waitForSelector(byTestId('token'));
      },
      async goto(route) {
        await page.evaluate((r: string) => void ((globalThis as InPage).location.hash = `#/${r}`), route);
      },
      async click(testId) {
        const el = await page.waitForSelector(byTestId(testId), { visible: true });
        await el!.click();
      },
      async setValue(testId, value) {
        await page.waitForSelector(byTestId(testId));
        await page.evaluate((sel: string, v: string) => {
          const g = globalThis as InPage;
          const el = g.document.querySelector(sel);
          const proto = el.tagName === 'TEXTAREA' ? g.HTMLTextAreaElement.prototype : g.HTMLInputElement.prototype;
          Object.getOwnPropertyDescriptor(proto, 'value')!.set!.call(el, v);
          el.dispatchEvent(new g.Event('input', { bubbles: true }));
        }, byTestId(testId), value);
      },
      async value(testId) {
        return page.$eval(byTestId(testId), (el: InPage) => el.value as string);
      },
      waitForText,
      async waitForError(want, code, timeoutMs = 15_000) {
        const handle = await failureShot('wait-error', () => page.waitForFunction(
          (src: string, flags: string, c: string) => {
            const els = [...(globalThis as InPage).document.querySelectorAll('[data-testid="api-error"]')] as InPage[];
            const hit = els.find((e) => (!c || e.getAttribute('data-code') === c) && new RegExp(src, flags).test(e.textContent ?? ''));
            return hit ? hit.textContent : false;
          },
          { timeout: timeoutMs, polling: 100 },
          want.source, want.flags, code === undefined ? '' : String(code),
        ));
        return (await handle.jsonValue()) as string;
      },
      async selectNamespace(namespace) {
        await b.click('namespace');
        const item = await page.waitForSelector(`li[data-value="${namespace || '*'}"]`, { visible: true });
        await item!.click();
        await page.waitForSelector('li[data-value="*"]', { hidden: true });
      },
      async scale(replicas) {
        await b.click('scale');
        await b.setValue('replicas', String(replicas));
        await b.click('scale-confirm');
      },
      async deleteObject() {
        await b.click('delete');
        await b.click('delete-confirm');
      },
      close: () => browser.close(),
    };
    return b;
  } catch (e) {
    await browser.close();
    throw e;
  }
}
