// History routing: a list of path patterns to pages; same-origin links navigate without reload.

export interface PageContext {
  params: Record<string, string>;
  query: URLSearchParams;
  main: HTMLElement;
  /** Aborted when the user leaves the page: stop timers, players and requests. */
  signal: AbortSignal;
}

export type Page = (ctx: PageContext) => void | Promise<void>;

interface Route {
  pattern: RegExp;
  keys: string[];
  page: Page;
}

const routes: Route[] = [];
let current: AbortController | null = null;
let notFoundPage: Page = () => {};
let afterRender: () => void = () => {};

export function route(path: string, page: Page): void {
  const keys: string[] = [];
  const source = path.replace(/:(\w+)/g, (_m, k: string) => {
    keys.push(k);
    return '([^/]+)';
  });
  routes.push({ pattern: new RegExp(`^${source}/?$`), keys, page });
}

export function notFound(page: Page): void {
  notFoundPage = page;
}

export function onRender(fn: () => void): void {
  afterRender = fn;
}

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (opts.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  void render();
}

export async function render(): Promise<void> {
  current?.abort();
  const controller = new AbortController();
  current = controller;
  const main = document.getElementById('main')!;
  main.replaceChildren();
  main.setAttribute('aria-busy', 'true');
  const { pathname, search } = location;
  let page = notFoundPage;
  let params: Record<string, string> = {};
  for (const r of routes) {
    const m = r.pattern.exec(pathname);
    if (m) {
      page = r.page;
      params = Object.fromEntries(r.keys.map((k, i) => [k, decodeURIComponent(m[i + 1])]));
      break;
    }
  }
  try {
    await page({ params, query: new URLSearchParams(search), main, signal: controller.signal });
  } finally {
    if (current === controller) {
      main.removeAttribute('aria-busy');
      afterRender();
      // Move focus to the new page's heading so screen readers announce it.
      // (unless the page already focused its first field).
      const heading = main.querySelector<HTMLElement>('h1');
      if (heading) {
        heading.tabIndex = -1;
        if (!main.contains(document.activeElement)) heading.focus({ preventScroll: true });
        document.title = `${heading.textContent} · 9ten`;
      }
    }
  }
}

export function startRouter(): void {
  window.addEventListener('popstate', () => void render());
  document.addEventListener('click', (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = (e.target as Element).closest?.('a');
    if (!a || a.target || a.hasAttribute('download') || a.origin !== location.origin) return;
    if (/^\/(api|static|\.well-known|ap|tracker)\//.test(a.pathname)) return;
    e.preventDefault();
    if (a.pathname + a.search !== location.pathname + location.search) navigate(a.pathname + a.search);
  });
  void render();
}
