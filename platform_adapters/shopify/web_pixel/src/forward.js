// Shopify Web Pixel events -> the sync server's ingest (POST {serverUrl}/v1/batch, JSON form of
// vitrine.v1.Batch, Authorization: Bearer <write key>).
//
// The mapping onto Vitrine's vocabulary is injected (`map`: fromShopify from
// @vitrine/web/mappings); this file only does what the SDK's core does for the browser and the
// pixel cannot load (the WebAssembly core is too large for a pixel bundle): ids, timestamps and
// the wire shape (prices in currency units -> integer micros; int64 as decimal strings in JSON).
//
//  - event_id: 16 bytes of SHA-256 over Shopify's event id, shaped as a v4 UUID, so Shopify
//    re-delivering the same event to the pixel stores it once;
//  - anonymous_id: "shopify-client:<clientId>" (Shopify's per-browser id); user_id: the
//    logged-in customer's decimal id, which the server links to that customer's profile;
//  - checkout_completed -> order_completed with the decimal order id: the server counts it once
//    with the orders/create webhook and the import (same order id).
//
// No durable queue: a pixel cannot keep one; what a failed request carried is dropped (the
// webhooks and the reconciliation import still bring every order).

const SDK = { sdkName: 'vitrine-shopify-pixel', sdkVersion: '0.1.0', platform: 'web' };

function micros(value) {
  return typeof value === 'number' && Number.isFinite(value) ? String(Math.round(value * 1e6)) : undefined;
}

function clean(o) {
  const out = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== '') out[k] = v;
  return out;
}

// "gid://shopify/Customer/42" or 42 -> "42".
function decimalId(id) {
  if (id === undefined || id === null) return undefined;
  const text = String(id);
  return text.startsWith('gid://shopify/') ? text.slice(text.lastIndexOf('/') + 1) : text;
}

function base64(bytes) {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

async function sha256(text) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

function wireLine(p) {
  return clean({
    productId: p.productId,
    variantId: p.variantId,
    sku: p.sku,
    priceMicros: micros(p.price) || '0',
    currency: p.currency,
    name: p.name,
    brand: p.brand,
    category: p.category,
    quantity: p.quantity,
    position: p.position,
    listId: p.listId,
    url: p.url,
    imageUrl: p.imageUrl,
  });
}

// One mapped event ({type, props}) as a vitrine.v1.Event in JSON.
export async function toWireEvent(mapped, event, { customerId, digest = sha256, now = Date.now } = {}) {
  const props = mapped.props || {};
  const source = event && event.id ? `shopify-pixel|${event.id}` : `shopify-pixel|${Math.random()}|${now()}`;
  const id = (await digest(source)).slice(0, 16);
  id[6] = (id[6] & 0x0f) | 0x40;
  id[8] = (id[8] & 0x3f) | 0x80;
  const at = event && event.timestamp ? Date.parse(event.timestamp) : NaN;
  const order = props.order;
  const products = props.products || (order && order.products) || [];
  return clean({
    eventId: base64(id),
    type: mapped.type,
    occurredAtMs: String(Number.isFinite(at) && at > 0 ? at : now()),
    anonymousId: `shopify-client:${(event && event.clientId) || 'unknown'}`,
    userId: decimalId(customerId),
    products: products.length ? products.map(wireLine) : undefined,
    order: order ? clean({
      orderId: order.orderId,
      valueMicros: micros(order.value),
      currency: order.currency,
      taxMicros: micros(order.tax),
      shippingMicros: micros(order.shipping),
      coupon: order.coupon,
    }) : undefined,
    query: props.query,
    listId: props.listId,
    listName: props.listName,
    pageUrl: props.pageUrl,
    referrer: props.referrer,
    checkoutStep: props.checkoutStep,
    traits: props.traits,
    properties: Object.assign({ source: 'shopify web pixel' }, props.properties),
  });
}

// Returns forward(event): maps it, posts it, resolves to the posted batch (or null when the
// event has no Vitrine counterpart or the pixel is not configured).
export function createForwarder({ serverUrl, writeKey, map, fetch, customerId, now = Date.now, digest }) {
  const base = String(serverUrl || '').replace(/\/+$/, '');
  return async function forward(event) {
    if (!base || !writeKey) return null;
    const mapped = map(event);
    if (!mapped) return null;
    const batch = {
      sentAtMs: String(now()),
      context: SDK,
      events: [await toWireEvent(mapped, event, { customerId, digest, now })],
    };
    await fetch(`${base}/v1/batch`, {
      method: 'POST',
      keepalive: true,  // checkout_completed fires as the page unloads
      headers: { Authorization: `Bearer ${writeKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(batch),
    });
    return batch;
  };
}
