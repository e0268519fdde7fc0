// The Web Pixel's entry point: Shopify runs it in a sandboxed worker (strict runtime: no DOM)
// and hands it every standard event. The mapping onto Vitrine's vocabulary is the web SDK's own
// (fromShopify in @vitrine/web/mappings, bundled by the Shopify CLI), so the pixel, the
// dataLayer capture and the SDK speak the same events; forward.js only puts them on the wire.
import { register } from '@shopify/web-pixels-extension';
import { fromShopify } from '@vitrine/web/mappings';

import { createForwarder } from './forward.js';

register(({ analytics, settings, init }) => {
  const forward = createForwarder({
    serverUrl: settings.serverUrl,
    writeKey: settings.writeKey,
    map: fromShopify,
    fetch: (url, options) => fetch(url, options),
    // Logged-in customer: the same decimal id the webhooks and the theme's identify use.
    customerId: init && init.data && init.data.customer ? init.data.customer.id : undefined,
  });
  analytics.subscribe('all_standard_events', (event) => {
    forward(event).catch(() => {});  // a lost analytics event must never break the storefront
  });
});
