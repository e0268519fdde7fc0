// Type declarations of @vitrine/web (vitrine.js). Every method except open() returns errors as
// values ({ok: false, code, error}) and never throws.

export type StorageKind = 'auto' | 'indexeddb' | 'localstorage' | 'memory';

/** Status codes of the SDK core (vitrine::StatusCode names). */
export type ErrorCode =
  | 'invalid_argument'
  | 'unknown_event'
  | 'consent_denied'
  | 'storage_full'
  | 'storage_busy'
  | 'storage_error'
  | 'unavailable'
  | 'rate_limited'
  | 'rejected'
  | 'not_found'
  | 'shutdown'
  | 'internal'
  /** flush() ran out of time (package-level). */
  | 'deadline_exceeded'
  | (string & {});

export interface Failure {
  ok: false;
  code: ErrorCode;
  error: string;
}
export interface Success {
  ok: true;
}
export type Result<T = {}> = (Success & T) | Failure;
/** What track() answers when the event was stored: its id (an RFC 9562 UUID string, the
 * event_id the server receives and deduplicates by), or, in a follower tab, `forwarded: true`
 * (the leader tab stores the event and assigns its id). */
export type TrackResult = Result<{ eventId: string; forwarded?: undefined } |
  { eventId?: undefined; forwarded: true }>;

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body: Uint8Array;
  timeoutMs: number;
}
export interface HttpResponse {
  /** 0 when no HTTP answer arrived; `error` then says why. */
  status: number;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  error?: string;
}

export interface OpenOptions {
  /** The sync server, e.g. "https://sync.example.com" (http:// or https://). */
  serverUrl: string;
  /** The shop's write key (sent as Authorization: Bearer). */
  writeKey: string;
  /** Where the queue and state live. Default 'auto': IndexedDB, else localStorage, else memory. */
  storage?: StorageKind;
  /** Separates several shops (or tests) on one origin. Default 'default'. */
  namespace?: string;
  /** Write-behind period of the browser storage mirror in ms. Default 1000. */
  persistIntervalMs?: number;
  /** Cap on the bytes written to localStorage (base64). Default 2 MiB. */
  localStorageQuota?: number;
  appVersion?: string;
  sessionTimeoutMs?: number;
  flushIntervalMs?: number;
  randomSeed?: number;
  /** Replaces fetch(): answers synchronously or with a Promise. */
  http?: (request: HttpRequest) => HttpResponse | Promise<HttpResponse>;
  /** Where vitrine.wasm is (default: next to vitrine.js). */
  wasmUrl?: string;
  /** The .wasm bytes, instead of fetching wasmUrl. */
  wasmBinary?: ArrayBuffer | Uint8Array;
  /** The Emscripten factory, instead of importing vitrine-core.js (tests, bundlers). */
  moduleFactory?: (args: object) => Promise<unknown>;
  /** Browser APIs to use instead of the globals (tests). */
  env?: {
    indexedDB?: unknown;
    localStorage?: unknown;
    locks?: unknown;
    BroadcastChannel?: unknown;
    events?: unknown;
    document?: unknown;
  };
}

export interface Product {
  productId: string;
  /** variantId or sku is required. */
  variantId?: string;
  sku?: string;
  /** Unit price in currency units (12.34). */
  price: number;
  /** ISO 4217, e.g. "EUR". */
  currency: string;
  name?: string;
  brand?: string;
  /** "Skin Care/Face/Serums" */
  category?: string;
  quantity?: number;
  position?: number;
  listId?: string;
  url?: string;
  imageUrl?: string;
}

export interface Order {
  orderId: string;
  value: number;
  currency: string;
  tax?: number;
  shipping?: number;
  coupon?: string;
  products: Product[];
}

/** The vocabulary (DESIGN.md); other strings are refused with invalid_argument. */
export type EventType =
  | 'page_viewed'
  | 'product_list_viewed'
  | 'product_clicked'
  | 'product_viewed'
  | 'search_submitted'
  | 'product_added_to_wishlist'
  | 'product_removed_from_wishlist'
  | 'product_added_to_cart'
  | 'product_removed_from_cart'
  | 'cart_viewed'
  | 'checkout_started'
  | 'checkout_step_completed'
  | 'order_completed'
  | 'order_refunded'
  | 'order_cancelled'
  | 'promotion_viewed'
  | 'promotion_clicked'
  | 'user_signed_in'
  | 'user_signed_out'
  | 'account_created'
  | 'identify'
  | 'consent_updated'
  | 'recommendation_viewed'
  | 'recommendation_clicked'
  | 'in_app_message_viewed'
  | 'in_app_message_clicked'
  | 'in_app_message_dismissed';

export interface EventProps {
  products?: Product[];
  order?: Order;
  query?: string;
  listId?: string;
  listName?: string;
  pageUrl?: string;
  referrer?: string;
  messageId?: string;
  placement?: string;
  promotionId?: string;
  checkoutStep?: number;
  traits?: Record<string, string>;
  properties?: Record<string, string>;
}

export interface RecommendOptions {
  /** How many items (0..100). Default 10. */
  limit?: number;
  /** The product on the page ("similar", "frequently bought together"). */
  productId?: string;
  /** Restrict to a category prefix. */
  category?: string;
}

export interface RecommendedItem {
  productId: string;
  title: string;
  price: number;
  currency: string;
  imageUrl: string;
  url: string;
  category: string;
  brand: string;
  score: number;
}

export interface InAppMessage {
  messageId: string;
  layout: string;
  title: string;
  body: string;
  imageUrl: string;
  ctaLabel: string;
  ctaUrl: string;
  priority: number;
  /** The message's product feed (e.g. the abandoned cart), in stock only. */
  products: RecommendedItem[];
}

export interface Stats {
  tracked: number;
  queued: number;
  /** Tracked, still in the journal: not yet moved to the queue (the core does so within ~50 ms). */
  journaled: number;
  acked: number;
  evicted: number;
  rejected: number;
  sendAttempts: number;
  sendFailures: number;
  lastError: string;
  anonymousId: string;
  userId: string;
  sessionId: string;
  snapshotEtag: string;
  /** This tab writes storage and sends (one leader per origin and namespace). */
  leader: boolean;
  storage: 'indexeddb' | 'localstorage' | 'memory';
  /** Follower: events forwarded to the leader and not yet acknowledged. */
  forwardsPending: number;
  /** How this tab opened: 'leader', 'follower', or 'leader-after-wait' (the lock came while
   * it waited for a leader's answer, e.g. the previous page of the tab going away). */
  openedAs: string;
  /** localStorage writes skipped over the quota. */
  storageSkipped: number;
}

export declare class Vitrine {
  /** Loads the module and the stored state, elects the writer tab, opens the client. Rejects
   * with an Error carrying `code` on bad options. */
  static open(options: OpenOptions): Promise<Vitrine>;
  readonly isLeader: boolean;
  readonly storage: 'indexeddb' | 'localstorage' | 'memory';
  track(type: EventType | (string & {}), props?: EventProps): TrackResult;
  identify(userId: string, traits?: Record<string, string> | null): Result;
  setConsent(granted: boolean): Result;
  recommend(placement: string, options?: RecommendOptions | null): Result<{ items: RecommendedItem[] }>;
  /** Due in-app messages not yet handed to an onMessage callback (each returned once). */
  messages(): InAppMessage[];
  /** Calls `cb` for every message that comes due; returns a function that unsubscribes. */
  onMessage(cb: (message: InAppMessage) => void): () => void;
  messageViewed(messageId: string): Result;
  messageClicked(messageId: string): Result;
  messageDismissed(messageId: string): Result;
  /** Sends what is queued; resolves when the queue is empty or a send failed. */
  flush(options?: { timeoutMs?: number }): Promise<Result<{ forwarded?: boolean }>>;
  stats(): Result<Stats>;
  /** The leader sends what is queued (at most flushTimeoutMs, default 2000), then the last
   * changes are written to storage and leadership goes to a waiting tab. */
  close(options?: { flushTimeoutMs?: number }): Promise<Success>;
}

export default Vitrine;
