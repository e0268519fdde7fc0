// Event mapping helpers: GA4 dataLayer ecommerce events and Shopify Web Pixel standard events onto
// Vitrine's vocabulary (DESIGN.md), so a shop that already emits them gets capture for free:
//
//   import { fromGa4, fromShopify } from '@vitrine/web/mappings';
//   const e = fromGa4(dataLayerEntry);          // {event: 'add_to_cart', ecommerce: {...}}
//   if (e) vitrine.track(e.type, e.props);
//   analytics.subscribe('all_standard_events', (ev) => { const m = fromShopify(ev); ... });
//
// Both return {type, props} ready for Vitrine#track, or null for an event with no Vitrine
// counterpart (GA4 `gtm.js`, Shopify `clicked`, ...). They never throw: a malformed payload maps
// to what can be read, and the core's validation reports what is missing when it is tracked.
// Prices stay in currency units (12.34, as both sources give them); the core converts them to
// integer micros. Currency is kept as given (ISO 4217), falling back to the event's currency,
// then to setDefaultCurrency(code).

// The shop's currency, for GA4 events that carry none (view_item_list, select_item often omit
// it, and the vocabulary requires a currency on every product line).
let defaultCurrency;

export function setDefaultCurrency(code) {
  defaultCurrency = typeof code === 'string' && code ? code : undefined;
}

function obj(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : {};
}

function arr(v) {
  return Array.isArray(v) ? v : [];
}

function str(v) {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

// A price from a number or numeric string, rounded to the micro unit the core stores (so
// 19.99 * 3 style float noise never reaches the wire).
function money(v) {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) return undefined;
  return Math.round(n * 1e6) / 1e6;
}

function int(v) {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) ? n : undefined;
}

// Drops undefined fields, so the output carries only what the source had.
function clean(o) {
  const out = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out;
}

// --- GA4 ------------------------------------------------------------------------------------

const GA4_TYPES = {
  page_view: 'page_viewed',
  view_item_list: 'product_list_viewed',
  select_item: 'product_clicked',
  view_item: 'product_viewed',
  search: 'search_submitted',
  view_search_results: 'search_submitted',
  add_to_wishlist: 'product_added_to_wishlist',
  add_to_cart: 'product_added_to_cart',
  remove_from_cart: 'product_removed_from_cart',
  view_cart: 'cart_viewed',
  begin_checkout: 'checkout_started',
  add_shipping_info: 'checkout_step_completed',
  add_payment_info: 'checkout_step_completed',
  purchase: 'order_completed',
  refund: 'order_refunded',
  view_promotion: 'promotion_viewed',
  select_promotion: 'promotion_clicked',
  login: 'user_signed_in',
  sign_up: 'account_created',
};

// Checkout steps for GA4's checkout sub-events (begin_checkout is step 1).
const GA4_STEPS = { add_shipping_info: 2, add_payment_info: 3 };

function ga4Category(item) {
  const parts = [item.item_category, item.item_category2, item.item_category3,
    item.item_category4, item.item_category5].map(str).filter((c) => c);
  return parts.length ? parts.join('/') : undefined;
}

function ga4Product(item, currency) {
  const i = obj(item);
  const id = str(i.item_id);
  return clean({
    productId: id,
    // GA4 has one id ("ID or SKU") and an optional variant name; the id doubles as SKU so the
    // line satisfies "variant_id or sku".
    sku: id,
    variantId: str(i.item_variant),
    price: money(i.price),
    currency: str(i.currency) || currency,
    name: str(i.item_name),
    brand: str(i.item_brand),
    category: ga4Category(i),
    quantity: int(i.quantity),
    position: int(i.index),
    listId: str(i.item_list_id),
  });
}

// fromGa4(entry) with a dataLayer object ({event, ecommerce: {...}}) or a gtag command
// (['event', name, params] or its `arguments` object); fromGa4(name, params) also works.
export function fromGa4(entry, maybeParams) {
  let name;
  let params;
  if (typeof entry === 'string') {
    name = entry;
    params = obj(maybeParams);
  } else if (entry && typeof entry === 'object' && entry[0] === 'event' && typeof entry[1] === 'string') {
    name = entry[1];
    params = obj(entry[2]);
  } else {
    const e = obj(entry);
    name = str(e.event);
    // GTM-style pushes nest the GA4 parameters under `ecommerce`; some put them at the top.
    params = Object.assign({}, e, obj(e.ecommerce));
  }
  const type = name && GA4_TYPES[name];
  if (!type) return null;
  const currency = str(params.currency) || defaultCurrency;
  const products = arr(params.items).map((it) => ga4Product(it, currency));
  const props = {};
  switch (name) {
    case 'page_view':
      Object.assign(props, clean({ pageUrl: str(params.page_location), referrer: str(params.page_referrer) }));
      break;
    case 'search':
    case 'view_search_results':
      props.query = str(params.search_term) || '';
      break;
    case 'view_item_list':
    case 'select_item':
      Object.assign(props, clean({ listId: str(params.item_list_id), listName: str(params.item_list_name) }));
      props.products = products;
      break;
    case 'view_promotion':
    case 'select_promotion': {
      const first = obj(arr(params.items)[0]);
      props.promotionId = str(params.promotion_id) || str(first.promotion_id) || '';
      if (products.length && products[0].productId) props.products = products;
      break;
    }
    case 'purchase':
    case 'refund':
      props.order = clean({
        orderId: str(params.transaction_id),
        value: money(params.value),
        currency,
        tax: money(params.tax),
        shipping: money(params.shipping),
        coupon: str(params.coupon),
        products,
      });
      break;
    case 'login':
    case 'sign_up':
      if (str(params.method)) props.properties = { method: str(params.method) };
      break;
    default:
      props.products = products;
      if (GA4_STEPS[name]) {
        props.checkoutStep = GA4_STEPS[name];
        const detail = str(params.shipping_tier) || str(params.payment_type);
        if (detail) props.properties = { [name === 'add_shipping_info' ? 'shipping_tier' : 'payment_type']: detail };
      }
      if (name === 'begin_checkout') props.checkoutStep = 1;
  }
  return { type, props };
}

// --- Shopify Web Pixels ----------------------------------------------------------------------

const SHOPIFY_TYPES = {
  page_viewed: 'page_viewed',
  collection_viewed: 'product_list_viewed',
  product_viewed: 'product_viewed',
  search_submitted: 'search_submitted',
  product_added_to_cart: 'product_added_to_cart',
  product_removed_from_cart: 'product_removed_from_cart',
  cart_viewed: 'cart_viewed',
  checkout_started: 'checkout_started',
  checkout_contact_info_submitted: 'checkout_step_completed',
  checkout_address_info_submitted: 'checkout_step_completed',
  checkout_shipping_info_submitted: 'checkout_step_completed',
  payment_info_submitted: 'checkout_step_completed',
  checkout_completed: 'order_completed',
};

const SHOPIFY_STEPS = {
  checkout_contact_info_submitted: 1,
  checkout_address_info_submitted: 2,
  checkout_shipping_info_submitted: 3,
  payment_info_submitted: 4,
};

// A ProductVariant ({id, sku, price: {amount, currencyCode}, product: {id, title, vendor, type,
// url}, image: {src}}) as a product line.
// Shopify ids as the server keys them: "gid://shopify/Order/5551234" -> "5551234" (webhooks and
// the Admin import use the decimal id, so an order seen both ways counts once).
function shopifyId(value) {
  const id = str(value);
  if (!id || !id.startsWith('gid://shopify/')) return id;
  return id.slice(id.lastIndexOf('/') + 1).split('?')[0] || id;
}

function shopifyVariant(variant, quantity, fallbackCurrency) {
  const v = obj(variant);
  const p = obj(v.product);
  const price = obj(v.price);
  return clean({
    productId: shopifyId(p.id),
    variantId: shopifyId(v.id),
    sku: str(v.sku) || undefined,
    price: money(price.amount),
    currency: str(price.currencyCode) || fallbackCurrency,
    name: str(p.title),
    brand: str(p.vendor) || undefined,
    category: str(p.type) || undefined,
    quantity: int(quantity),
    url: str(p.url),
    imageUrl: str(obj(v.image).src),
  });
}

function shopifyLines(lines, currency) {
  return arr(lines).map((l) => {
    const line = obj(l);
    // CartLine has `merchandise`, CheckoutLineItem has `variant`.
    return shopifyVariant(line.merchandise || line.variant, line.quantity, currency);
  });
}

// fromShopify(event) with a Web Pixel event ({name, data, context, ...}) as given to
// analytics.subscribe callbacks.
export function fromShopify(event) {
  const e = obj(event);
  const name = str(e.name);
  const type = name && SHOPIFY_TYPES[name];
  if (!type) return null;
  const data = obj(e.data);
  const props = {};
  const location = obj(obj(obj(e.context).document).location);
  const pageUrl = str(location.href);
  if (pageUrl) props.pageUrl = pageUrl;
  switch (name) {
    case 'page_viewed': {
      const referrer = str(obj(obj(e.context).document).referrer);
      if (referrer) props.referrer = referrer;
      break;
    }
    case 'product_viewed':
      props.products = [shopifyVariant(data.productVariant, undefined, undefined)];
      break;
    case 'collection_viewed': {
      const c = obj(data.collection);
      Object.assign(props, clean({ listId: str(c.id), listName: str(c.title) }));
      props.products = arr(c.productVariants).map((v, i) =>
        Object.assign(shopifyVariant(v, undefined, undefined), { position: i + 1 }));
      break;
    }
    case 'search_submitted': {
      const r = obj(data.searchResult);
      props.query = str(r.query) || '';
      const found = arr(r.productVariants).map((v) => shopifyVariant(v, undefined, undefined));
      if (found.length) props.products = found;
      break;
    }
    case 'product_added_to_cart':
    case 'product_removed_from_cart':
      props.products = shopifyLines([data.cartLine], defaultCurrency);
      break;
    case 'cart_viewed': {
      const cart = obj(data.cart);
      props.products = shopifyLines(cart.lines, str(obj(obj(cart.cost).totalAmount).currencyCode));
      break;
    }
    default: {
      const checkout = obj(data.checkout);
      const currency = str(checkout.currencyCode) || str(obj(checkout.totalPrice).currencyCode);
      const products = shopifyLines(checkout.lineItems, currency);
      if (name === 'checkout_completed') {
        const order = obj(checkout.order);
        props.order = clean({
          // The order id once Shopify created the order; the checkout token before that.
          orderId: shopifyId(order.id) || str(checkout.token),
          value: money(obj(checkout.totalPrice).amount),
          currency,
          tax: money(obj(checkout.totalTax).amount),
          shipping: money(obj(obj(checkout.shippingLine).price).amount),
          coupon: str(obj(arr(checkout.discountApplications)[0]).title),
          products,
        });
      } else {
        props.products = products;
        props.checkoutStep = SHOPIFY_STEPS[name] || 1;
      }
    }
  }
  return { type, props };
}

// Listens to window.dataLayer pushes (past and future) and tracks the GA4 ecommerce events it
// maps. Returns a function that stops listening. `currency`: see setDefaultCurrency.
export function captureDataLayer(vitrine, dataLayer, options) {
  if (options && options.currency) setDefaultCurrency(options.currency);
  const layer = dataLayer || (globalThis.dataLayer = globalThis.dataLayer || []);
  const handle = (entry) => {
    const mapped = fromGa4(entry);
    if (mapped) vitrine.track(mapped.type, mapped.props);
  };
  layer.forEach(handle);
  const originalPush = layer.push;
  layer.push = function push(...entries) {
    entries.forEach(handle);
    return originalPush.apply(this, entries);
  };
  return () => { layer.push = originalPush; };
}
