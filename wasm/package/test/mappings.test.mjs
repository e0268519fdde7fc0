// GA4 dataLayer and Shopify Web Pixel payloads (shapes as the public docs give them) onto
// Vitrine's vocabulary, then through the real module's validation: every mapped event is
// accepted by track().
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { captureDataLayer, fromGa4, fromShopify, setDefaultCurrency } from '../mappings.js';
import { Vitrine } from '../vitrine.js';
import { baseOptions, resetServer } from './helpers.mjs';

const gaItem = {
  item_id: 'SKU_12345', item_name: 'Stan and Friends Tee', affiliation: 'Google Merchandise Store',
  coupon: 'SUMMER_FUN', discount: 2.22, index: 0, item_brand: 'Google', item_category: 'Apparel',
  item_category2: 'Adult', item_category3: 'Shirts', item_category4: 'Crew',
  item_category5: 'Short sleeve', item_list_id: 'related_products',
  item_list_name: 'Related Products', item_variant: 'green', location_id: 'ChIJIQBpAG2ahYAR_6128GcTUEo',
  price: 10.01, quantity: 3,
};

const ga4 = {
  view_item: { event: 'view_item', ecommerce: { currency: 'USD', value: 30.03, items: [gaItem] } },
  view_item_list: { event: 'view_item_list', ecommerce: { item_list_id: 'related_products',
    item_list_name: 'Related products', items: [gaItem, Object.assign({}, gaItem, { item_id: 'SKU_12346', index: 1, price: 21.01 })] } },
  select_item: { event: 'select_item', ecommerce: { item_list_id: 'related_products', items: [gaItem] } },
  add_to_cart: { event: 'add_to_cart', ecommerce: { currency: 'USD', value: 30.03, items: [gaItem] } },
  remove_from_cart: { event: 'remove_from_cart', ecommerce: { currency: 'USD', value: 30.03, items: [gaItem] } },
  view_cart: { event: 'view_cart', ecommerce: { currency: 'USD', value: 30.03, items: [gaItem] } },
  begin_checkout: { event: 'begin_checkout', ecommerce: { currency: 'USD', value: 30.03, coupon: 'SUMMER_FUN', items: [gaItem] } },
  add_shipping_info: { event: 'add_shipping_info', ecommerce: { currency: 'USD', value: 30.03, shipping_tier: 'Ground', items: [gaItem] } },
  add_payment_info: { event: 'add_payment_info', ecommerce: { currency: 'USD', value: 30.03, payment_type: 'Credit Card', items: [gaItem] } },
  purchase: { event: 'purchase', ecommerce: { transaction_id: 'T_12345', value: 72.05, tax: 3.6,
    shipping: 5.99, currency: 'USD', coupon: 'SUMMER_SALE', items: [gaItem,
      Object.assign({}, gaItem, { item_id: 'SKU_12346', price: 21.01, quantity: 2 })] } },
  search: { event: 'search', search_term: 't-shirts' },
  page_view: { event: 'page_view', page_location: 'https://shop.example/p/tee', page_referrer: 'https://www.google.com/' },
  add_to_wishlist: { event: 'add_to_wishlist', ecommerce: { currency: 'USD', value: 10.01, items: [gaItem] } },
  login: { event: 'login', method: 'Google' },
};

test('GA4 dataLayer ecommerce events map onto the vocabulary', () => {
  const m = fromGa4(ga4.add_to_cart);
  assert.equal(m.type, 'product_added_to_cart');
  assert.deepEqual(m.props.products[0], {
    productId: 'SKU_12345', sku: 'SKU_12345', variantId: 'green', price: 10.01, currency: 'USD',
    name: 'Stan and Friends Tee', brand: 'Google', category: 'Apparel/Adult/Shirts/Crew/Short sleeve',
    quantity: 3, position: 0, listId: 'related_products',
  });
  const p = fromGa4(ga4.purchase);
  assert.equal(p.type, 'order_completed');
  assert.equal(p.props.order.orderId, 'T_12345');
  assert.equal(p.props.order.value, 72.05);
  assert.equal(p.props.order.tax, 3.6);
  assert.equal(p.props.order.shipping, 5.99);
  assert.equal(p.props.order.currency, 'USD');
  assert.equal(p.props.order.products.length, 2);
  assert.equal(p.props.order.products[1].price, 21.01);
  assert.equal(fromGa4(ga4.view_item).type, 'product_viewed');
  const list = fromGa4(ga4.view_item_list);
  assert.equal(list.type, 'product_list_viewed');
  assert.equal(list.props.listName, 'Related products');
  assert.equal(list.props.products[1].position, 1);
  assert.equal(fromGa4(ga4.select_item).type, 'product_clicked');
  assert.equal(fromGa4(ga4.remove_from_cart).type, 'product_removed_from_cart');
  assert.equal(fromGa4(ga4.view_cart).type, 'cart_viewed');
  assert.deepEqual([fromGa4(ga4.begin_checkout).type, fromGa4(ga4.begin_checkout).props.checkoutStep], ['checkout_started', 1]);
  assert.deepEqual(fromGa4(ga4.add_shipping_info).props.properties, { shipping_tier: 'Ground' });
  assert.equal(fromGa4(ga4.add_payment_info).props.checkoutStep, 3);
  assert.deepEqual(fromGa4(ga4.search), { type: 'search_submitted', props: { query: 't-shirts' } });
  assert.deepEqual(fromGa4(ga4.page_view).props, { pageUrl: 'https://shop.example/p/tee', referrer: 'https://www.google.com/' });
  assert.equal(fromGa4(ga4.add_to_wishlist).type, 'product_added_to_wishlist');
  assert.deepEqual(fromGa4(ga4.login), { type: 'user_signed_in', props: { properties: { method: 'Google' } } });
  // gtag command form and (name, params) form.
  assert.equal(fromGa4(['event', 'add_to_cart', ga4.add_to_cart.ecommerce]).props.products[0].price, 10.01);
  assert.equal(fromGa4('purchase', ga4.purchase.ecommerce).props.order.orderId, 'T_12345');
  // No counterpart, or garbage: null, never a throw.
  for (const junk of [{ event: 'gtm.js' }, { event: 'scroll' }, null, 42, 'nope', [], { ecommerce: null }]) {
    assert.equal(fromGa4(junk), null, JSON.stringify(junk));
  }
  // String prices (some themes push them) become numbers; float noise is rounded to micros.
  const s = fromGa4({ event: 'add_to_cart', ecommerce: { currency: 'EUR', items: [{ item_id: 'a', price: '19.990000001' }] } });
  assert.equal(s.props.products[0].price, 19.99);
});

const variant = {
  id: '44610569208040', sku: 'PANTS-M', title: 'M',
  image: { src: 'https://cdn.shopify.com/s/files/1/pants.jpg' },
  price: { amount: 100.0, currencyCode: 'CAD' },
  product: { id: '8266836345064', title: 'PANTS!!!', vendor: 'Acme', type: 'Bottoms',
    untranslatedTitle: 'PANTS!!!', url: '/products/pants' },
};
const context = { document: { location: { href: 'https://shop.example/products/pants' }, referrer: 'https://shop.example/' } };
const cartLine = { cost: { totalAmount: { amount: 200.0, currencyCode: 'CAD' } }, merchandise: variant, quantity: 2 };
const checkout = {
  currencyCode: 'CAD', token: 'ct_abc', email: 'a@example.com',
  lineItems: [{ id: 'li1', quantity: 2, title: 'PANTS!!!', variant,
    finalLinePrice: { amount: 200.0, currencyCode: 'CAD' } }],
  order: { id: '5551234' },
  subtotalPrice: { amount: 200.0, currencyCode: 'CAD' },
  totalPrice: { amount: 231.5, currencyCode: 'CAD' },
  totalTax: { amount: 26.0, currencyCode: 'CAD' },
  shippingLine: { price: { amount: 5.5, currencyCode: 'CAD' } },
  discountApplications: [{ title: 'WELCOME10', type: 'DISCOUNT_CODE' }],
};
const shopify = {
  page_viewed: { id: 'e1', name: 'page_viewed', timestamp: '2024-01-01T00:00:00Z', context, data: {} },
  product_viewed: { id: 'e2', name: 'product_viewed', context, data: { productVariant: variant } },
  collection_viewed: { id: 'e3', name: 'collection_viewed', context, data: { collection: { id: 'c1', title: 'Bottoms', productVariants: [variant, variant] } } },
  search_submitted: { id: 'e4', name: 'search_submitted', context, data: { searchResult: { query: 'pants', productVariants: [variant] } } },
  product_added_to_cart: { id: 'e5', name: 'product_added_to_cart', context, data: { cartLine } },
  product_removed_from_cart: { id: 'e6', name: 'product_removed_from_cart', context, data: { cartLine } },
  cart_viewed: { id: 'e7', name: 'cart_viewed', context, data: { cart: { id: 'cart1', cost: { totalAmount: { amount: 200, currencyCode: 'CAD' } }, lines: [cartLine], totalQuantity: 2 } } },
  checkout_started: { id: 'e8', name: 'checkout_started', context, data: { checkout } },
  payment_info_submitted: { id: 'e9', name: 'payment_info_submitted', context, data: { checkout } },
  checkout_completed: { id: 'e10', name: 'checkout_completed', context, data: { checkout } },
};

test('Shopify Web Pixel standard events map onto the vocabulary', () => {
  const viewed = fromShopify(shopify.product_viewed);
  assert.equal(viewed.type, 'product_viewed');
  assert.deepEqual(viewed.props.products[0], {
    productId: '8266836345064', variantId: '44610569208040', sku: 'PANTS-M', price: 100,
    currency: 'CAD', name: 'PANTS!!!', brand: 'Acme', category: 'Bottoms', url: '/products/pants',
    imageUrl: 'https://cdn.shopify.com/s/files/1/pants.jpg',
  });
  assert.equal(viewed.props.pageUrl, 'https://shop.example/products/pants');
  const added = fromShopify(shopify.product_added_to_cart);
  assert.equal(added.type, 'product_added_to_cart');
  assert.equal(added.props.products[0].quantity, 2);
  assert.equal(added.props.products[0].price, 100, 'unit price, not the line total');
  assert.equal(fromShopify(shopify.product_removed_from_cart).type, 'product_removed_from_cart');
  const list = fromShopify(shopify.collection_viewed);
  assert.deepEqual([list.type, list.props.listId, list.props.listName, list.props.products[1].position],
    ['product_list_viewed', 'c1', 'Bottoms', 2]);
  assert.equal(fromShopify(shopify.search_submitted).props.query, 'pants');
  assert.equal(fromShopify(shopify.cart_viewed).type, 'cart_viewed');
  assert.equal(fromShopify(shopify.checkout_started).props.checkoutStep, 1);
  assert.deepEqual([fromShopify(shopify.payment_info_submitted).type, fromShopify(shopify.payment_info_submitted).props.checkoutStep],
    ['checkout_step_completed', 4]);
  const order = fromShopify(shopify.checkout_completed);
  assert.equal(order.type, 'order_completed');
  assert.deepEqual(Object.assign({}, order.props.order, { products: order.props.order.products.length }), {
    orderId: '5551234', value: 231.5, currency: 'CAD', tax: 26, shipping: 5.5, coupon: 'WELCOME10', products: 1,
  });
  // Global ids become the decimal ids webhooks and the Admin import use.
  const gidOrder = fromShopify({ name: 'checkout_completed', context, data: { checkout: Object.assign({}, checkout,
    { order: { id: 'gid://shopify/Order/5551234' } }) } });
  assert.equal(gidOrder.props.order.orderId, '5551234');
  assert.equal(fromShopify({ name: 'product_viewed', context, data: { productVariant: Object.assign({}, variant,
    { id: 'gid://shopify/ProductVariant/44610569208040' }) } }).props.products[0].variantId, '44610569208040');
  assert.deepEqual(fromShopify(shopify.page_viewed).props, { pageUrl: 'https://shop.example/products/pants', referrer: 'https://shop.example/' });
  for (const junk of [{ name: 'clicked' }, { name: 'product_viewed', data: null }, null, 7]) {
    const r = fromShopify(junk);
    assert.ok(r === null || r.type === 'product_viewed');
  }
});

test('every mapped event passes the core validation; captureDataLayer tracks pushes', async () => {
  resetServer();
  const v = await Vitrine.open(baseOptions());
  // GA4's view_item_list / select_item carry no currency; without a default the core says so.
  const noCurrency = fromGa4(ga4.view_item_list);
  assert.match(v.track(noCurrency.type, noCurrency.props).error, /currency must be an ISO 4217 code/);
  setDefaultCurrency('USD');
  for (const [name, entry] of Object.entries(ga4)) {
    const m = fromGa4(entry);
    assert.equal(v.track(m.type, m.props).ok, true, `GA4 ${name}: ${JSON.stringify(m)}`);
  }
  for (const [name, event] of Object.entries(shopify)) {
    const m = fromShopify(event);
    assert.equal(v.track(m.type, m.props).ok, true, `Shopify ${name}: ${JSON.stringify(m)}`);
  }
  const tracked = v.stats().tracked;
  const dataLayer = [{ event: 'gtm.js' }, ga4.view_item];
  const stop = captureDataLayer(v, dataLayer);
  assert.equal(v.stats().tracked, tracked + 1, 'past entries');
  dataLayer.push(ga4.add_to_cart, { event: 'scroll' });
  assert.equal(v.stats().tracked, tracked + 2, 'future pushes');
  assert.equal(dataLayer.length, 4, 'the dataLayer still works');
  stop();
  dataLayer.push(ga4.purchase);
  assert.equal(v.stats().tracked, tracked + 2);
  setDefaultCurrency(undefined);
  await v.close();
});
