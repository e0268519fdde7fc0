// The demo shop: a single page (hash routes) over the catalog feed and the Vitrine SDK. Every
// recommendation block is answered on the device by sdk.recommend() from the cached snapshot and
// the shopper's own events; the server is only asked for product data (catalog.js).
import { loadCatalog } from './catalog.js';
import { productImage } from './placeholder.js';
import { openSdk } from './vitrine-adapter.js';

const CART_KEY = 'vitrine-demo:cart';
const TRACKED_KEY = 'vitrine-demo:tracked'; // events the SDK accepted, for the tests' books
const VISIT_KEY = 'vitrine-demo:visit'; // sessionStorage: this tab's visit has started
const $ = (sel, root = document) => root.querySelector(sel);
const app = $('#app');

let sdk = null;
let catalog = null;
let config = null;
let trackedHere = 0; // events the SDK accepted on this page

// ---- helpers -----------------------------------------------------------------------------------

const escapeHtml = (s) =>
  String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const money = (amount, currency = 'EUR') =>
  new Intl.NumberFormat('en-IE', { style: 'currency', currency }).format(amount);

function toProduct(p, extra = {}) {
  return {
    productId: p.product_id,
    sku: p.product_id, // the demo catalog has one variant per product
    name: p.title,
    price: p.price,
    currency: p.currency,
    brand: p.brand,
    category: p.category,
    url: `#/p/${encodeURIComponent(p.product_id)}`,
    ...extra,
  };
}

async function track(event) {
  const r = await sdk.track(event);
  if (r.ok) {
    trackedHere += 1;
    localStorage.setItem(TRACKED_KEY, String(Number(localStorage.getItem(TRACKED_KEY) || 0) + 1));
  } else {
    console.warn('vitrine: track refused', event.type, r.code, r.error);
  }
  return r;
}

// Local recommendations mapped back onto catalog entries (the snapshot has its own slice of the
// catalog; the feed's copy has the current price and stock).
async function recommend(placement, context, n) {
  const r = await sdk.recommend(placement, context, n);
  if (!r.ok) {
    console.warn('vitrine: recommend', placement, r.code, r.error);
    return [];
  }
  return r.items
    .map((item) => catalog.get(item.productId) ?? {
      product_id: item.productId, title: item.title, price: item.price,
      currency: item.currency || 'EUR', category: item.category, brand: item.brand, stock: 1,
    })
    .filter(Boolean);
}

// ---- cart (the shop's own state, in localStorage so it survives closing the tab) ---------------

function readCart() {
  try {
    const c = JSON.parse(localStorage.getItem(CART_KEY) || '{}');
    return { lines: Array.isArray(c.lines) ? c.lines : [], updatedAt: c.updatedAt || 0 };
  } catch {
    return { lines: [], updatedAt: 0 };
  }
}

function writeCart(cart) {
  cart.updatedAt = Date.now();
  localStorage.setItem(CART_KEY, JSON.stringify(cart));
  renderCartBadge();
}

function cartTotal(cart) {
  return cart.lines.reduce((sum, l) => sum + l.price * l.quantity, 0);
}

async function addToCart(p, quantity = 1) {
  const cart = readCart();
  const line = cart.lines.find((l) => l.product_id === p.product_id);
  if (line) line.quantity += quantity;
  else cart.lines.push({ product_id: p.product_id, title: p.title, price: p.price,
    currency: p.currency, quantity });
  writeCart(cart);
  await track({ type: 'product_added_to_cart', products: [toProduct(p, { quantity })] });
  toast(`Added to your bag: ${p.title}`);
}

async function removeFromCart(id) {
  const cart = readCart();
  const line = cart.lines.find((l) => l.product_id === id);
  if (!line) return;
  cart.lines = cart.lines.filter((l) => l !== line);
  writeCart(cart);
  const p = catalog.get(id) ?? line;
  await track({ type: 'product_removed_from_cart',
    products: [toProduct(p, { quantity: line.quantity })] });
}

function renderCartBadge() {
  const n = readCart().lines.reduce((s, l) => s + l.quantity, 0);
  $('#cart-count').textContent = String(n);
  $('#cart-count').hidden = n === 0;
}

// ---- rendering ---------------------------------------------------------------------------------

function card(p, { placement } = {}) {
  const out = p.stock !== undefined && p.stock <= 0;
  return `<a class="card" href="#/p/${encodeURIComponent(p.product_id)}"
      data-product-id="${escapeHtml(p.product_id)}"${placement ? ` data-placement="${placement}"` : ''}>
    <div class="card-img">${productImage(p)}</div>
    <div class="card-body">
      <div class="card-brand">${escapeHtml(p.brand || '')}</div>
      <div class="card-title">${escapeHtml(p.title)}</div>
      <div class="card-price">${money(p.price, p.currency)}${out ? ' <span class="oos">Sold out</span>' : ''}</div>
    </div>
  </a>`;
}

function shelf(title, items, testid, placement) {
  if (!items.length) return '';
  return `<section class="shelf" data-testid="${testid}">
    <h2>${escapeHtml(title)}</h2>
    <div class="grid grid-shelf">${items.map((p) => card(p, { placement })).join('')}</div>
  </section>`;
}

function breadcrumbs(path) {
  const parts = path.split('/');
  return `<nav class="crumbs"><a href="#/">Home</a>${parts
    .map((name, i) => {
      const sub = parts.slice(0, i + 1).join('/');
      return ` <span>/</span> <a href="#/c/${encodeURIComponent(sub)}">${escapeHtml(name)}</a>`;
    })
    .join('')}</nav>`;
}

async function pageHome() {
  const forYou = await recommend('home', null, 8);
  const depts = catalog.departments();
  app.innerHTML = `
    <section class="hero">
      <div><p class="eyebrow">New season edit</p>
      <h1>Beauty that knows you</h1>
      <p>Recommendations picked on your device, from what you browse. Nothing waits on a server.</p>
      <a class="button" href="#/c/${encodeURIComponent(depts[0]?.path ?? '')}">Shop ${escapeHtml(depts[0]?.name ?? '')}</a></div>
    </section>
    ${shelf('Picked for you', forYou, 'for-you', 'home')}
    <section class="shelf"><h2>Shop by department</h2>
      <div class="depts">${depts.map((d) => `<a class="dept" href="#/c/${encodeURIComponent(d.path)}">
        <span>${escapeHtml(d.name)}</span><small>${d.count} products</small></a>`).join('')}</div>
    </section>`;
  await track({ type: 'page_viewed', pageUrl: location.href });
}

async function pageCategory(path) {
  const items = catalog.inCategory(path);
  const subs = catalog.categories.filter((c) => c.path.startsWith(`${path}/`));
  const picks = await recommend('category', { category: path }, 4);
  app.innerHTML = `${breadcrumbs(path)}
    <h1 class="page-title">${escapeHtml(path.split('/').pop())} <small>${items.length} products</small></h1>
    ${subs.length ? `<div class="chips">${subs.map((c) => `<a class="chip" href="#/c/${encodeURIComponent(c.path)}">
      ${escapeHtml(c.path.slice(path.length + 1))}</a>`).join('')}</div>` : ''}
    ${shelf('Top picks for you here', picks, 'category-picks', 'category')}
    <div class="grid" data-testid="category-grid">${items.slice(0, 60).map((p) => card(p)).join('')}</div>`;
  await track({
    type: 'product_list_viewed', listId: path, listName: path,
    products: items.slice(0, 20).map((p, i) => toProduct(p, { position: i + 1, listId: path })),
  });
}

async function pageProduct(id) {
  const p = catalog.get(id);
  if (!p) {
    app.innerHTML = '<h1 class="page-title">This product is no longer available</h1>';
    return;
  }
  const [similar, together] = await Promise.all([
    recommend('product_page', { productId: id }, 6),
    recommend('frequently_bought_together', { productId: id }, 3),
  ]);
  const bundle = [p, ...together.filter((x) => x.product_id !== id)];
  const out = p.stock <= 0;
  app.innerHTML = `${breadcrumbs(p.category)}
    <article class="product" data-testid="product" data-product-id="${escapeHtml(id)}">
      <div class="product-img">${productImage(p)}</div>
      <div class="product-info">
        <div class="card-brand">${escapeHtml(p.brand)}</div>
        <h1>${escapeHtml(p.title)}</h1>
        <div class="product-price">${money(p.price, p.currency)}</div>
        <p class="stock ${out ? 'out' : ''}">${out ? 'Sold out' : p.stock < 10 ? `Only ${p.stock} left` : 'In stock — ships tomorrow'}</p>
        <button class="button" data-testid="add-to-cart" ${out ? 'disabled' : ''}>Add to bag</button>
        <ul class="perks"><li>Free returns within 30 days</li><li>Free delivery over €40</li></ul>
      </div>
    </article>
    ${together.length ? `<section class="shelf" data-testid="bought-together"><h2>Frequently bought together</h2>
      <div class="bundle">${bundle.map((x) => card(x, { placement: 'frequently_bought_together' })).join('<span class="plus">+</span>')}
      <div class="bundle-total">Together ${money(bundle.reduce((s, x) => s + x.price, 0), p.currency)}
      <button class="button secondary" data-testid="add-bundle">Add all ${bundle.length}</button></div></div></section>` : ''}
    ${shelf('Similar products', similar, 'similar', 'product_page')}`;
  $('[data-testid=add-to-cart]').addEventListener('click', () => addToCart(p));
  $('[data-testid=add-bundle]')?.addEventListener('click', async () => {
    for (const x of bundle) await addToCart(x);
  });
  await track({ type: 'product_viewed', products: [toProduct(p)] });
}

async function pageCart() {
  const cart = readCart();
  const lines = cart.lines;
  const more = lines.length ? await recommend('cart', null, 4) : await recommend('home', null, 4);
  app.innerHTML = `<h1 class="page-title">Your bag</h1>
    ${lines.length ? `<div class="cart" data-testid="cart">
      ${lines.map((l) => {
        const p = catalog.get(l.product_id) ?? { ...l, brand: '', category: '' };
        return `<div class="cart-line" data-product-id="${escapeHtml(l.product_id)}">
          <div class="cart-img">${productImage(p, { label: false })}</div>
          <div><a href="#/p/${encodeURIComponent(l.product_id)}">${escapeHtml(l.title)}</a>
          <div class="muted">Qty ${l.quantity} · ${money(l.price, l.currency)} each</div></div>
          <div class="cart-sum">${money(l.price * l.quantity, l.currency)}</div>
          <button class="link" data-remove="${escapeHtml(l.product_id)}">Remove</button></div>`;
      }).join('')}
      <div class="cart-total">Total <strong>${money(cartTotal(cart))}</strong></div>
      <a class="button" href="#/checkout" data-testid="checkout">Checkout</a></div>`
    : '<p class="muted">Your bag is empty.</p>'}
    ${shelf(lines.length ? 'Complete your routine' : 'You might like', more, 'cart-recs', 'cart')}`;
  app.querySelectorAll('[data-remove]').forEach((b) =>
    b.addEventListener('click', async () => {
      await removeFromCart(b.dataset.remove);
      route();
    }));
  if (lines.length) {
    await track({ type: 'cart_viewed', products: lines.map((l) =>
      toProduct(catalog.get(l.product_id) ?? l, { quantity: l.quantity })) });
  }
}

async function pageCheckout() {
  const cart = readCart();
  if (!cart.lines.length) {
    location.hash = '#/cart';
    return;
  }
  const products = cart.lines.map((l) =>
    toProduct(catalog.get(l.product_id) ?? l, { quantity: l.quantity }));
  app.innerHTML = `<h1 class="page-title">Checkout</h1>
    <form class="checkout" data-testid="checkout-form">
      <label>Email <input name="email" type="email" value="shopper@example.com" required></label>
      <label>Full name <input name="name" value="Alex Doe" required></label>
      <label>Address <input name="address" value="1 Demo Street, Dublin" required></label>
      <div class="cart-total">To pay <strong>${money(cartTotal(cart))}</strong></div>
      <button class="button" data-testid="place-order">Place order</button>
    </form>`;
  await track({ type: 'checkout_started', products });
  $('form.checkout').addEventListener('submit', async (e) => {
    e.preventDefault();
    const orderId = `o-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    const r = await track({
      type: 'order_completed',
      order: { orderId, value: cartTotal(cart), currency: cart.lines[0].currency || 'EUR', products },
    });
    if (!r.ok) {
      toast(`Could not record the order: ${r.error}`);
      return;
    }
    localStorage.removeItem(CART_KEY);
    renderCartBadge();
    location.hash = `#/order/${orderId}`;
  });
}

async function pageOrder(orderId) {
  const next = await recommend('home', null, 4);
  app.innerHTML = `<div class="thanks" data-testid="order-done"><h1>Thank you!</h1>
    <p>Order <code>${escapeHtml(orderId)}</code> is confirmed.</p></div>
    ${shelf('Next in your routine', next, 'after-order', 'home')}`;
}

async function pageSearch(q) {
  const items = catalog.search(q);
  app.innerHTML = `<h1 class="page-title">“${escapeHtml(q)}” <small>${items.length} results</small></h1>
    <div class="grid">${items.slice(0, 60).map((p) => card(p)).join('')}</div>`;
  await track({ type: 'search_submitted', query: q });
}

// ---- the abandoned-cart banner -----------------------------------------------------------------

// A shopper coming back (a new tab or visit) with items still in the bag sees a banner. In-app
// messages from the SDK (campaigns set up on the server) use the same slot.
function showBanner({ title, body, cta, href, testid = 'banner', onClick, products = [] }) {
  const el = $('#banner');
  el.innerHTML = `<div class="banner" data-testid="${testid}">
    ${products.slice(0, 3).map((p) => `<a class="banner-thumb" href="#/p/${encodeURIComponent(p.product_id)}"
      title="${escapeHtml(p.title)}">${productImage(p, { label: false })}</a>`).join('')}
    <div><strong>${escapeHtml(title)}</strong> <span>${escapeHtml(body)}</span></div>
    <a class="button small" href="${escapeHtml(href)}">${escapeHtml(cta)}</a>
    <button class="link close" aria-label="Dismiss">×</button></div>`;
  el.hidden = false;
  $('.close', el).addEventListener('click', () => { el.hidden = true; });
  if (onClick) $('a', el).addEventListener('click', onClick);
}

function checkAbandonedCart() {
  const firstPageOfVisit = !sessionStorage.getItem(VISIT_KEY);
  sessionStorage.setItem(VISIT_KEY, '1');
  const cart = readCart();
  if (!firstPageOfVisit || !cart.lines.length) return;
  const n = cart.lines.reduce((s, l) => s + l.quantity, 0);
  showBanner({
    testid: 'abandoned-cart',
    title: 'Welcome back!',
    body: `You left ${n} item${n === 1 ? '' : 's'} in your bag (${money(cartTotal(cart))}).`,
    cta: 'Complete your order',
    href: '#/cart',
    products: cart.lines.map((l) => catalog.get(l.product_id) ?? l),
  });
}

// ---- chrome ------------------------------------------------------------------------------------

let toastTimer = 0;
function toast(text) {
  const el = $('#toast');
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 2500);
}

function renderNav() {
  $('#nav').innerHTML = catalog.departments()
    .map((d) => `<a href="#/c/${encodeURIComponent(d.path)}">${escapeHtml(d.name)}</a>`).join('');
}

async function route() {
  const hash = decodeURIComponent(location.hash.slice(1) || '/');
  window.scrollTo(0, 0);
  document.body.dataset.route = hash;
  if (hash.startsWith('/c/')) await pageCategory(hash.slice(3));
  else if (hash.startsWith('/p/')) await pageProduct(hash.slice(3));
  else if (hash === '/cart') await pageCart();
  else if (hash === '/checkout') await pageCheckout();
  else if (hash.startsWith('/order/')) await pageOrder(hash.slice(7));
  else if (hash.startsWith('/search/')) await pageSearch(hash.slice(8));
  else await pageHome();
  document.body.dataset.rendered = String(Number(document.body.dataset.rendered || 0) + 1);
}

// A first visit has no snapshot on the device yet: give the SDK's first fetch a moment so the
// first page already has "for you" (offline, the shop goes on with what it has).
async function snapshotReady(timeoutMs = 4000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const st = await sdk.stats();
    if (!st.ok || st.snapshotEtag) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function main() {
  config = await (await fetch('./config.json', { cache: 'no-store' })).json();
  const serverUrl = config.serverUrl || location.origin;
  [catalog, sdk] = await Promise.all([
    loadCatalog({ serverUrl, writeKey: config.writeKey }),
    openSdk({ serverUrl, writeKey: config.writeKey, flushIntervalMs: config.flushIntervalMs }),
  ]);
  sdk.onMessage((m) => {
    showBanner({
      testid: 'in-app-message', title: m.title, body: m.body, cta: m.ctaLabel || 'Shop now',
      href: m.ctaUrl || '#/cart',
      onClick: () => sdk.messageEvent('clicked', m.messageId),
      products: (m.products || []).map((p) => catalog.get(p.productId)).filter(Boolean),
    });
    sdk.messageEvent('viewed', m.messageId);
  });
  window.vitrineShop = {
    sdk, catalog, trackedHere: () => trackedHere,
    tracked: () => Number(localStorage.getItem(TRACKED_KEY) || 0),
  };
  renderNav();
  renderCartBadge();
  $('#search').addEventListener('submit', (e) => {
    e.preventDefault();
    const q = $('#search input').value.trim();
    if (q) location.hash = `#/search/${encodeURIComponent(q)}`;
  });
  checkAbandonedCart();
  await snapshotReady();
  if (catalog.fromCache) toast('You are offline: browsing the saved catalog');
  window.addEventListener('hashchange', route);
  // No pagehide handler here: the SDK itself stores and sends the last events when the page goes.
  await route();
  document.body.dataset.ready = 'true';
}

main().catch((e) => {
  console.error(e);
  app.innerHTML = `<div class="error"><h1>The shop could not start</h1><pre>${escapeHtml(e.message || e)}</pre></div>`;
  document.body.dataset.ready = 'error';
});
