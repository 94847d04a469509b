// A live node and a browser on it for a browser test file: made before its tests, closed after.
import { before, after } from 'node:test';
import type { Page } from 'playwright-core';
import { ensureClientBuilt, openBrowser, skipWithoutChromium, type BrowserSession } from './browser-support.js';
import type { TestNode } from '../helpers/node.js';
import { startLiveNode } from '../live/support.js';

export interface LiveBrowser {
  node: TestNode;
  session: BrowserSession;
  page: Page;
}

/** Registers the file's hooks; the fields are set once `before` ran (read them inside tests). */
export function liveBrowser(name: string): LiveBrowser {
  const live = {} as LiveBrowser;
  before(async () => {
    if (skipWithoutChromium) return;
    await ensureClientBuilt();
    live.node = await startLiveNode({ name });
    // Live pages start playing on their own.
    live.session = await openBrowser(live.node.url, ['--autoplay-policy=no-user-gesture-required']);
    live.page = live.session.page;
  });
  after(async () => {
    await live.session?.close();
    await live.node?.stop();
  });
  return live;
}

/** The media plays past `time` (seconds of its timeline), not paused. */
export const playsPast = (p: Page, time: number, timeout = 30_000) =>
  p.waitForFunction(
    (t) => {
      const m = document.querySelector<HTMLMediaElement>('[data-testid="live-media"]');
      return !!m && m.currentTime > t && !m.paused;
    },
    time,
    { timeout },
  );
