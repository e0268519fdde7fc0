// Type declarations of @vitrine/web/mappings (mappings.js).
import type { EventProps, EventType, Vitrine } from './vitrine.js';

export interface MappedEvent {
  type: EventType;
  props: EventProps;
}

/** A GA4 dataLayer entry ({event, ecommerce}), a gtag command (['event', name, params]), or
 * (name, params). null when the event has no Vitrine counterpart. */
export function fromGa4(entry: unknown, params?: unknown): MappedEvent | null;
/** A Shopify Web Pixel standard event ({name, data, context}). */
export function fromShopify(event: unknown): MappedEvent | null;
/** Tracks the mapped GA4 events of window.dataLayer (past and future pushes). */
export function captureDataLayer(
  vitrine: Pick<Vitrine, 'track'>,
  dataLayer?: unknown[],
  options?: { currency?: string },
): () => void;
/** The shop's ISO 4217 currency, for GA4 events that carry none (view_item_list, ...). */
export function setDefaultCurrency(code: string | undefined): void;
