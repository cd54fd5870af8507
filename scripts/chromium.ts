/**
 * Headless Chromium (Debian package `chromium`, installed when missing) driven over the DevTools
 * protocol through a pipe (`--remote-debugging-pipe`: JSON messages separated by NUL on fds 3 and 4),
 * for `npm run screenshots` and the console's browser tests. No driver library.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { ensureDebianTool } from './debian-package';

/** The Chromium binary; installs the Debian package `chromium` when none is found. */
export function ensureChromium(say?: (line: string) => void): string {
  return ensureDebianTool(['chromium', 'chromium-browser'], 'chromium', say);
}

interface Message {
  id?: number;
  method?: string;
  sessionId?: string;
  result?: Record<string, unknown>;
  error?: { message: string };
  params?: Record<string, unknown>;
}

/** One browser tab of a headless Chromium of its own (a throwaway profile). */
export class BrowserPage {
  private next = 0;
  private readonly waiting = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void }>();

  private constructor(
    private readonly browser: ChildProcess,
    private readonly profile: string,
    private readonly toBrowser: Writable,
    private sessionId = '',
  ) {}

  static async launch(chromium: string, [width, height]: [number, number]): Promise<BrowserPage> {
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'ftp-chromium-'));
    const browser = spawn(
      chromium,
      [
        '--headless=new',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--hide-scrollbars',
        '--no-first-run',
        '--remote-debugging-pipe',
        `--user-data-dir=${profile}`,
        `--window-size=${width},${height}`,
      ],
      { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] },
    );
    const page = new BrowserPage(browser, profile, browser.stdio[3] as Writable);
    let pending = '';
    (browser.stdio[4] as Readable).on('data', (d: Buffer) => {
      pending += d.toString('utf8');
      let end: number;
      while ((end = pending.indexOf('\0')) >= 0) {
        const m = JSON.parse(pending.slice(0, end)) as Message;
        pending = pending.slice(end + 1);
        if (m.id === undefined) continue;
        const w = page.waiting.get(m.id);
        page.waiting.delete(m.id);
        if (m.error) w?.reject(new Error(m.error.message));
        else w?.resolve(m);
      }
    });
    browser.once('exit', () => {
      for (const w of page.waiting.values()) w.reject(new Error('chromium exited'));
    });
    const { targetId } = (await page.send('Target.createTarget', { url: 'about:blank' })) as {
      targetId: string;
    };
    const { sessionId } = (await page.send('Target.attachToTarget', { targetId, flatten: true })) as {
      sessionId: string;
    };
    page.sessionId = sessionId;
    await page.send('Emulation.setDeviceMetricsOverride', {
      width,
      height,
      deviceScaleFactor: 1,
      mobile: false,
    });
    await page.send('Page.enable');
    await page.send('Runtime.enable');
    return page;
  }

  /** One DevTools command to the page (or to the browser before a page is attached). */
  send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const id = ++this.next;
      this.waiting.set(id, { resolve: (m) => resolve(m.result ?? {}), reject });
      const message: Message & { params: Record<string, unknown> } = { id, method, params };
      if (this.sessionId) message.sessionId = this.sessionId;
      this.toBrowser.write(`${JSON.stringify(message)}\0`);
    });
  }

  /** Navigates and waits for the document to have loaded. */
  async goto(url: string): Promise<void> {
    await this.send('Page.navigate', { url });
    await this.waitFor(`document.readyState === 'complete' && location.href !== 'about:blank'`);
  }

  /** The value of an expression in the page (a promise is awaited). */
  async evaluate<T>(expression: string): Promise<T> {
    const r = (await this.send('Runtime.evaluate', {
      expression,
      returnByValue: true,
      awaitPromise: true,
    })) as {
      result: { value?: T };
      exceptionDetails?: { text: string; exception?: { description?: string } };
    };
    if (r.exceptionDetails)
      throw new Error(r.exceptionDetails.exception?.description ?? r.exceptionDetails.text);
    return r.result.value as T;
  }

  /** Waits until `expression` is truthy in the page (test-side polling of what the browser shows). */
  async waitFor(expression: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ok = await this.evaluate<boolean>(`Boolean(${expression})`).catch(() => false);
      if (ok) return;
      if (Date.now() > deadline) throw new Error(`the page never showed: ${expression}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async screenshot(file: string): Promise<void> {
    const shot = (await this.send('Page.captureScreenshot', { format: 'png' })) as { data: string };
    fs.writeFileSync(file, Buffer.from(shot.data, 'base64'));
  }

  async close(): Promise<void> {
    const exited = new Promise((resolve) => this.browser.once('close', resolve));
    this.browser.kill('SIGKILL');
    await exited;
    // Chromium's helper processes may still write into the profile for a moment: best effort.
    try {
      fs.rmSync(this.profile, { recursive: true, force: true, maxRetries: 5 });
    } catch {
      // left in the temp directory
    }
  }
}
