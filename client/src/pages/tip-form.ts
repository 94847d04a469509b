// A tip from the wallet to a channel (POST /api/v1/tips): an amount, an optional message, and the
// node's answer in words. Used on the channel page and on a live stream.
import { api } from '../api.js';
import { errorText, field, h, messageBox } from '../dom.js';
import { parseMinor } from '../lib/money.js';

export function tipForm(channelName: string, opts: { label: string; heading?: string; thanks?: string }): HTMLFormElement {
  const amount = h('input', { type: 'text', inputmode: 'decimal', required: true, placeholder: '2.00', size: '6', autocomplete: 'off' });
  const message = h('input', { type: 'text', maxlength: '280', placeholder: 'Say something (optional)', autocomplete: 'off' });
  const box = messageBox();
  const send = h('button', { type: 'submit' }, 'Send tip');
  const form = h('form', { class: 'tip-form', 'aria-label': opts.label }, opts.heading ? h('h2', null, opts.heading) : null, field('Amount', amount), field('Message', message), send, box);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const minor = parseMinor(amount.value);
    if (!minor) return box.show('Enter an amount like 2.00');
    send.disabled = true;
    try {
      await api('POST', '/api/v1/tips', { body: { channel: channelName, amount: minor, ...(message.value.trim() ? { message: message.value.trim() } : {}) } });
      box.show(opts.thanks ?? 'Thank you! Your tip is on its way.', 'ok');
      message.value = '';
    } catch (err) {
      box.show(errorText(err));
    } finally {
      send.disabled = false;
    }
  });
  return form;
}
