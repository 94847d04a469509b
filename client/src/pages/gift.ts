// A gift link (/gift/:code, the URL in the link and its QR code): preview, then redeem.
import type { GiftLinkRedeemed, GiftLinkWithQr } from '../../../shared/api/index.js';
import { api, session } from '../api.js';
import { h } from '../dom.js';
import { formatMoney } from '../lib/money.js';
import type { PageContext } from '../router.js';
import { failure, shortDate } from '../ui.js';

export async function giftPage({ main, params, signal }: PageContext): Promise<void> {
  main.append(h('h1', null, 'Gift'));
  let link: GiftLinkWithQr;
  try {
    link = await api<GiftLinkWithQr>('GET', `/api/v1/gift-links/${encodeURIComponent(params.code)}`, { signal });
  } catch (err) {
    main.append(failure('Could not open this gift link', err));
    return;
  }
  const card = h(
    'section',
    { class: 'card gift', 'aria-label': 'Gift link' },
    h('p', { class: 'gift-amount' }, formatMoney(link.amount, link.currency)),
    link.message ? h('blockquote', null, link.message) : null,
  );
  main.append(card);
  if (link.status === 'redeemed') {
    card.append(h('p', { class: 'message info', role: 'status' }, `This gift was already redeemed (${shortDate(link.redeemedAt)}).`));
    return;
  }
  if (!session()) {
    card.append(h('p', null, h('a', { href: `/login?next=${encodeURIComponent(location.pathname)}` }, 'Log in'), ' or ', h('a', { href: '/signup' }, 'sign up'), ' to add it to your wallet.'));
    return;
  }
  const status = h('p', { class: 'message', role: 'status', 'aria-live': 'polite', hidden: true });
  const redeem = h('button', { type: 'button' }, 'Redeem into my wallet');
  redeem.addEventListener('click', async () => {
    redeem.disabled = true;
    try {
      const out = await api<GiftLinkRedeemed>('POST', `/api/v1/gift-links/${encodeURIComponent(link.code)}/redeem`);
      status.hidden = false;
      status.className = 'message ok';
      status.replaceChildren(`Added ${formatMoney(link.amount, link.currency)}. Your balance is ${formatMoney(out.balance, link.currency)}. `, h('a', { href: '/me' }, 'Open my wallet'));
      redeem.remove();
    } catch (err) {
      redeem.disabled = false;
      status.replaceWith(failure('Could not redeem', err));
    }
  });
  card.append(h('div', { class: 'actions' }, redeem), status);
}
