// A tiny element builder, so pages read as markup without a framework.
import { problemMessage } from './lib/problem.js';

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, unknown>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs | null = null, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2).toLowerCase(), value as EventListener);
    } else if (name === 'class') {
      el.className = String(value);
    } else if (name === 'for') {
      (el as HTMLLabelElement).htmlFor = String(value);
    } else if (name === 'value' || name === 'checked' || name === 'selected' || name === 'disabled' || name === 'hidden') {
      (el as any)[name] = value;
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(el, ...children);
  return el;
}

export function append(parent: Node, ...children: (Child | Child[])[]): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/** A labelled form field: <div class="field"><label>…</label><input …></div>. */
export function field(label: string, control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, hint?: string): HTMLDivElement {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  const hintEl = hint ? h('small', { id: `${id}-hint`, class: 'hint' }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hintEl);
}

/** A live region for form errors and status lines. */
export type MessageBox = HTMLParagraphElement & { show(text: string, kind?: 'error' | 'info' | 'ok'): void; hide(): void };

export function messageBox(): MessageBox {
  const p = h('p', { class: 'message', role: 'status', 'aria-live': 'polite', hidden: true }) as any;
  p.show = (text: string, kind: 'error' | 'info' | 'ok' = 'error') => {
    p.hidden = false;
    p.textContent = text;
    p.className = `message ${kind}`;
    p.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  };
  p.hide = () => {
    p.hidden = true;
    p.textContent = '';
  };
  return p;
}

/**
 * A form whose submit runs `run` with the button disabled. Success usually navigates away; a
 * failure is shown in `msg` and the button is free again.
 */
export function onSubmit(form: HTMLFormElement, submit: HTMLButtonElement, msg: MessageBox, run: () => Promise<void>): void {
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    submit.disabled = true;
    msg.hide();
    try {
      await run();
    } catch (err) {
      msg.show(errorText(err));
      submit.disabled = false;
    }
  });
}

/** A message for people: the node's problem+json errors get a clear text per status (401, 403, …). */
export const errorText = (err: unknown): string => {
  if (err instanceof Error && typeof (err as { status?: unknown }).status === 'number') {
    const e = err as Error & { status: number; code?: string };
    return problemMessage({ status: e.status, code: e.code, detail: e.message });
  }
  return err instanceof Error ? err.message : String(err);
};
