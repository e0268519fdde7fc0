// Type-checked (tsc --noEmit) usage of the package's declarations: what a storefront writes.
import { Vitrine, type InAppMessage, type Product, type RecommendedItem } from '../vitrine.js';
import { captureDataLayer, fromGa4, fromShopify, setDefaultCurrency } from '../mappings.js';

async function main(): Promise<void> {
  const v: Vitrine = await Vitrine.open({
    serverUrl: 'https://sync.example.com',
    writeKey: 'wk_test',
    storage: 'auto',
    namespace: 'shop',
  });
  const line: Product = { productId: 'p1', sku: 'p1-50', price: 24.9, currency: 'EUR', quantity: 1 };
  const r = v.track('product_added_to_cart', { products: [line] });
  if (!r.ok) console.log(r.code, r.error.toUpperCase());
  else if (r.eventId !== undefined) console.log(r.eventId.toUpperCase());
  else console.log(r.forwarded === true);
  v.track('order_completed', {
    order: { orderId: 'o1', value: 24.9, currency: 'EUR', products: [line] },
  });
  v.identify('customer-1', { email: 'a@example.com' });
  v.setConsent(true);
  const recs = v.recommend('home', { limit: 8 });
  if (recs.ok) {
    const first: RecommendedItem | undefined = recs.items[0];
    console.log(first?.title, first?.price.toFixed(2));
  }
  v.recommend('product_page', { productId: 'p1' });
  const off = v.onMessage((m: InAppMessage) => {
    console.log(m.title, m.products.length);
    v.messageViewed(m.messageId);
  });
  off();
  const due: InAppMessage[] = v.messages();
  console.log(due.length);
  const flushed = await v.flush({ timeoutMs: 5000 });
  if (!flushed.ok) console.log(flushed.code);
  const stats = v.stats();
  if (stats.ok) console.log(stats.queued + stats.acked, stats.leader, stats.storage);

  const mapped = fromGa4({ event: 'add_to_cart', ecommerce: { currency: 'EUR', items: [] } });
  if (mapped) v.track(mapped.type, mapped.props);
  const pixel = fromShopify({ name: 'product_viewed', data: {} });
  if (pixel) v.track(pixel.type, pixel.props);
  setDefaultCurrency('EUR');
  const stop: () => void = captureDataLayer(v, [], { currency: 'EUR' });
  stop();
  await v.close({ flushTimeoutMs: 0 });

  // @ts-expect-error: price is a number
  v.track('product_viewed', { products: [{ productId: 'p', sku: 's', price: '1', currency: 'EUR' }] });
  // @ts-expect-error: storage kinds are a closed set
  await Vitrine.open({ serverUrl: 'x', writeKey: 'k', storage: 'disk' });
  // @ts-expect-error: a failed track has no eventId to read without checking ok
  if (!r.ok) console.log(r.eventId.length);
  // @ts-expect-error: recommend options are an object
  v.recommend('home', 5);
}

void main;
