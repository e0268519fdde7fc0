// Vitrine for iOS: a Swift API over the SDK's C ABI (vitrine.h, module CVitrine).
//
// Contract
// - Thread safety: every method may be called from any thread at once. Capture calls and
//   recommend() cost microseconds and do no I/O (fine on the main thread); flush() and
//   onBackground() block until the send attempt is over. close() waits for calls in progress
//   (a read-write lock), so closing never frees the native client under another call.
// - Errors: methods that can fail throw VitrineError (code = the vt_status number, name, the C
//   ABI's message, e.g. "invalid_argument: products[0].currency is required"). Calls after
//   close() throw VitrineError.shutdown.
// - HTTP: the SDK owns batching, retries and backoff; the host executes single requests
//   through HTTPExecutor (URLSessionExecutor by default), called on the SDK's background
//   thread, one request at a time, and must not retry.
// - Callbacks (executor, message listener) run on the SDK's background thread and must not call
//   close().
// - Ownership: every C string and struct passed in lives until the C call returns (the ABI copies
//   what it keeps); every result the ABI hands out is copied into Swift values and released
//   with its vt_free_* call before the method returns.
//
// Not compiled here (no Swift toolchain on the development machine); the exact C calls it makes
// are exercised by tests/mobile/swift_abi_test.c on x86_64 and arm64.
import CVitrine
import Foundation

// MARK: - Errors

public struct VitrineError: Error, CustomStringConvertible, Equatable {
  public let code: Int32
  public let name: String
  public let message: String
  public var description: String { message.isEmpty ? name : "\(name): \(message)" }

  public static let shutdown = VitrineError(code: Int32(VT_SHUTDOWN), name: "shutdown",
                                            message: "the Vitrine client is closed")

  init(status: vt_status, message: UnsafeMutablePointer<CChar>?) {
    code = status
    name = String(cString: vt_status_name(status))
    self.message = message.map { String(cString: $0) } ?? ""
    vt_free_string(message)
  }

  init(code: Int32, name: String, message: String) {
    self.code = code
    self.name = name
    self.message = message
  }
}

// MARK: - Values

public struct Product {
  public var productId: String
  public var variantId: String?
  public var sku: String?
  public var price: Double
  public var currency: String
  public var name: String?
  public var brand: String?
  public var category: String?
  public var quantity: Int32 = 1
  public var position: Int32 = 0
  public var listId: String?
  public var url: String?
  public var imageURL: String?

  public init(productId: String, price: Double, currency: String, sku: String? = nil,
              variantId: String? = nil, name: String? = nil, brand: String? = nil,
              category: String? = nil, quantity: Int32 = 1) {
    self.productId = productId
    self.price = price
    self.currency = currency
    self.sku = sku
    self.variantId = variantId
    self.name = name
    self.brand = brand
    self.category = category
    self.quantity = quantity
  }
}

public struct Order {
  public var orderId: String
  public var value: Double
  public var currency: String
  public var tax: Double = 0
  public var shipping: Double = 0
  public var coupon: String?
  public var products: [Product]

  public init(orderId: String, value: Double, currency: String, products: [Product]) {
    self.orderId = orderId
    self.value = value
    self.currency = currency
    self.products = products
  }
}

public struct Recommendation {
  public let productId: String
  public let title: String
  public let price: Double
  public let currency: String
  public let imageURL: String
  public let url: String
  public let category: String
  public let brand: String
  public let score: Double
}

public struct InAppMessage {
  public let messageId: String
  public let layout: String
  public let title: String
  public let body: String
  public let imageURL: String
  public let ctaLabel: String
  public let ctaURL: String
  public let products: [Recommendation]
  public let priority: Int32
}

public struct Stats {
  public let tracked: UInt64
  public let queued: UInt64
  public let acked: UInt64
  public let evicted: UInt64
  public let rejected: UInt64
  public let sendAttempts: UInt64
  public let sendFailures: UInt64
  public let lastError: String
  public let anonymousId: String
  public let userId: String
  public let sessionId: String
  public let snapshotETag: String
}

// MARK: - HTTP through the host

public struct HTTPRequest {
  public let method: String
  public let url: String
  public let headers: [String: String]
  public let body: Data
  public let timeout: TimeInterval
}

public struct HTTPResponse {
  public var status: Int
  public var headers: [String: String]
  public var body: Data
  /// Set (with status 0) when no HTTP answer arrived: offline, DNS, TLS, timeout.
  public var transportError: String?

  public init(status: Int, headers: [String: String] = [:], body: Data = Data()) {
    self.status = status
    self.headers = headers
    self.body = body
  }

  public static func transportError(_ message: String) -> HTTPResponse {
    var response = HTTPResponse(status: 0)
    response.transportError = message
    return response
  }
}

/// Executes exactly one request, blocking the SDK's background thread until the answer.
public protocol HTTPExecutor: AnyObject {
  func execute(_ request: HTTPRequest) -> HTTPResponse
}

/// The default executor: one URLSession data task per request, waited for on the SDK's thread.
public final class URLSessionExecutor: HTTPExecutor {
  private let session: URLSession

  public init(session: URLSession = .shared) { self.session = session }

  public func execute(_ request: HTTPRequest) -> HTTPResponse {
    guard let url = URL(string: request.url) else {
      return .transportError("bad url \(request.url)")
    }
    var urlRequest = URLRequest(url: url, timeoutInterval: request.timeout)
    urlRequest.httpMethod = request.method
    for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
    if !request.body.isEmpty { urlRequest.httpBody = request.body }
    let done = DispatchSemaphore(value: 0)
    var result = HTTPResponse.transportError("no answer")
    session.dataTask(with: urlRequest) { data, response, error in
      if let http = response as? HTTPURLResponse {
        var headers: [String: String] = [:]
        for (key, value) in http.allHeaderFields {
          headers[String(describing: key).lowercased()] = String(describing: value)
        }
        result = HTTPResponse(status: http.statusCode, headers: headers, body: data ?? Data())
      } else {
        result = .transportError(error?.localizedDescription ?? "no HTTP response")
      }
      done.signal()
    }.resume()
    done.wait()
    return result
  }
}

// MARK: - The client

public final class Vitrine {
  public struct Options {
    public var dataDirectory: URL
    public var serverURL: String
    public var writeKey: String
    public var appVersion: String?
    public var compress = true
    /// nil keeps the native default.
    public var flushIntervalMs: Int64?
    public var sessionTimeoutMs: Int64?
    public var httpExecutor: HTTPExecutor = URLSessionExecutor()

    public init(dataDirectory: URL, serverURL: String, writeKey: String) {
      self.dataDirectory = dataDirectory
      self.serverURL = serverURL
      self.writeKey = writeKey
    }
  }

  public typealias MessageListener = (InAppMessage) -> Void

  private var client: OpaquePointer?
  // Heap-allocated: a pthread lock must not move, which a stored struct property may.
  private let lock = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)
  // Kept alive for the C callbacks, which get unretained pointers to them.
  private let executorBox: ExecutorBox
  private var listenerBox: ListenerBox?

  public init(options: Options) throws {
    lock.initialize(to: pthread_rwlock_t())
    pthread_rwlock_init(lock, nil)
    executorBox = ExecutorBox(options.httpExecutor)
    var c = vt_options()
    vt_options_init(&c)
    let strings = CStrings()
    c.data_dir = strings.dup(options.dataDirectory.path)
    c.server_url = strings.dup(options.serverURL)
    c.write_key = strings.dup(options.writeKey)
    c.app_version = strings.dup(options.appVersion)
    c.compress = options.compress ? 1 : 0
    if let value = options.flushIntervalMs { c.flush_interval_ms = value }
    if let value = options.sessionTimeoutMs { c.session_timeout_ms = value }
    c.http_execute = vitrineExecuteTrampoline
    c.http_user_data = Unmanaged.passUnretained(executorBox).toOpaque()
    var handle: OpaquePointer?
    var error: UnsafeMutablePointer<CChar>?
    let status = withExtendedLifetime(strings) { vt_client_open(&c, &handle, &error) }
    if status != Int32(VT_OK) { throw VitrineError(status: status, message: error) }
    client = handle
  }

  deinit {
    close()
    pthread_rwlock_destroy(lock)
    lock.deallocate()
  }

  /// Persists what is queued, stops background work and frees the native client. Idempotent.
  public func close() {
    pthread_rwlock_wrlock(lock)
    let handle = client
    client = nil
    pthread_rwlock_unlock(lock)
    vt_client_close(handle)
  }

  // MARK: capture

  public func productViewed(_ product: Product) throws {
    try withProduct(product) { c, p, e in vt_product_viewed(c, p, e) }
  }

  public func productAddedToCart(_ product: Product) throws {
    try withProduct(product) { c, p, e in vt_product_added_to_cart(c, p, e) }
  }

  public func productRemovedFromCart(_ product: Product) throws {
    try withProduct(product) { c, p, e in vt_product_removed_from_cart(c, p, e) }
  }

  public func pageViewed(url: String, referrer: String? = nil) throws {
    try call { c, e in
      url.withCString { u in withOptionalCString(referrer) { r in vt_page_viewed(c, u, r, e) } }
    }
  }

  public func searchSubmitted(query: String) throws {
    try call { c, e in query.withCString { vt_search_submitted(c, $0, e) } }
  }

  public func orderCompleted(_ order: Order) throws {
    let strings = CStrings()
    var products = order.products.map { strings.product($0) }
    var o = vt_order()
    o.order_id = strings.dup(order.orderId)
    o.value = order.value
    o.currency = strings.dup(order.currency)
    o.tax = order.tax
    o.shipping = order.shipping
    o.coupon = strings.dup(order.coupon)
    o.product_count = products.count
    try withExtendedLifetime(strings) {
      try products.withUnsafeMutableBufferPointer { buffer in
        o.products = UnsafePointer(buffer.baseAddress)
        try call { c, e in vt_order_completed(c, &o, e) }
      }
    }
  }

  /// Any vocabulary event ("product_list_viewed", ...) with free-form properties.
  public func track(type: String, products: [Product] = [], properties: [String: String] = [:])
    throws
  {
    let strings = CStrings()
    var lines = products.map { strings.product($0) }
    var props = strings.properties(properties)
    var event = vt_event()
    event.struct_size = MemoryLayout<vt_event>.size
    event.type = strings.dup(type)
    try withExtendedLifetime(strings) {
      try lines.withUnsafeMutableBufferPointer { linesBuffer in
        try props.withUnsafeMutableBufferPointer { propsBuffer in
          event.products = UnsafePointer(linesBuffer.baseAddress)
          event.product_count = linesBuffer.count
          event.properties = UnsafePointer(propsBuffer.baseAddress)
          event.property_count = propsBuffer.count
          try call { c, e in vt_track(c, &event, e) }
        }
      }
    }
  }

  // MARK: identity and consent

  public func identify(userId: String, traits: [String: String] = [:]) throws {
    let strings = CStrings()
    var props = strings.properties(traits)
    try withExtendedLifetime(strings) {
      try props.withUnsafeMutableBufferPointer { buffer in
        try call { c, e in
          userId.withCString { vt_identify(c, $0, UnsafePointer(buffer.baseAddress), buffer.count, e) }
        }
      }
    }
  }

  public func reset() throws { try call { c, e in vt_reset(c, e) } }

  /// false stops capture and purges the local queue.
  public func setConsent(_ granted: Bool) throws {
    try call { c, e in vt_set_consent(c, granted ? 1 : 0, e) }
  }

  public func requestDeletion() throws { try call { c, e in vt_request_deletion(c, e) } }

  // MARK: sync and lifecycle

  /// Persists, sends what is queued and refreshes the snapshot if due. Blocks.
  public func flush() throws { try call { c, e in vt_flush(c, e) } }

  /// Call from sceneWillEnterForeground: the snapshot is revalidated on the next background turn.
  public func onForeground() {
    try? call { c, _ in vt_on_foreground(c) }
  }

  /// Call from a background task when the app leaves the foreground: flushes; false when the
  /// send failed (the events stay queued for the next time).
  @discardableResult
  public func onBackground() -> Bool {
    (try? flush()) != nil
  }

  // MARK: serving

  public func recommend(placement: String, productId: String? = nil, category: String? = nil,
                        count: Int = 8) throws -> [Recommendation] {
    var out: UnsafeMutablePointer<vt_recommendation>?
    var outCount = 0
    try call { c, e in
      placement.withCString { p in
        withOptionalCString(productId) { pid in
          withOptionalCString(category) { cat in
            vt_recommend(c, p, pid, cat, count, &out, &outCount, e)
          }
        }
      }
    }
    defer { vt_free_recommendations(out, outCount) }
    return (0..<outCount).map { Recommendation(out![$0]) }
  }

  // MARK: messages

  public func pendingMessages() throws -> [InAppMessage] {
    var out: UnsafeMutablePointer<vt_message>?
    var outCount = 0
    try call { c, e in vt_pending_messages(c, &out, &outCount, e) }
    defer { vt_free_messages(out, outCount) }
    return (0..<outCount).map { InAppMessage(out![$0]) }
  }

  /// Called on the SDK's background thread when a message is due; nil removes it.
  public func setMessageListener(_ listener: MessageListener?) throws {
    let box = listener.map(ListenerBox.init)
    try call { c, _ in
      if let box = box {
        return vt_set_message_listener(c, vitrineMessageTrampoline,
                                       Unmanaged.passUnretained(box).toOpaque())
      }
      return vt_set_message_listener(c, nil, nil)
    }
    // The previous box stays alive until here: the C side no longer points at it.
    listenerBox = box
  }

  public func messageViewed(_ id: String) throws {
    try call { c, e in id.withCString { vt_message_viewed(c, $0, e) } }
  }

  public func messageClicked(_ id: String) throws {
    try call { c, e in id.withCString { vt_message_clicked(c, $0, e) } }
  }

  public func messageDismissed(_ id: String) throws {
    try call { c, e in id.withCString { vt_message_dismissed(c, $0, e) } }
  }

  public func stats() throws -> Stats {
    var s = vt_stats()
    try call { c, e in vt_get_stats(c, &s, e) }
    defer { vt_free_stats(&s) }
    return Stats(tracked: s.tracked, queued: s.queued, acked: s.acked, evicted: s.evicted,
                 rejected: s.rejected, sendAttempts: s.send_attempts,
                 sendFailures: s.send_failures, lastError: string(s.last_error),
                 anonymousId: string(s.anonymous_id), userId: string(s.user_id),
                 sessionId: string(s.session_id), snapshotETag: string(s.snapshot_etag))
  }

  // MARK: plumbing

  /// Runs one C call under the read lock with an error slot; throws its error.
  private func call(_ body: (OpaquePointer, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>)
    throws -> vt_status) throws
  {
    pthread_rwlock_rdlock(lock)
    defer { pthread_rwlock_unlock(lock) }
    guard let handle = client else { throw VitrineError.shutdown }
    var error: UnsafeMutablePointer<CChar>?
    let status = try body(handle, &error)
    if status != Int32(VT_OK) { throw VitrineError(status: status, message: error) }
    vt_free_string(error)
  }

  private func withProduct(
    _ product: Product,
    _ body: (OpaquePointer, UnsafePointer<vt_product>,
             UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> vt_status
  ) throws {
    let strings = CStrings()
    var p = strings.product(product)
    try withExtendedLifetime(strings) { try call { c, e in body(c, &p, e) } }
  }
}

// MARK: - C callbacks

private final class ExecutorBox {
  let executor: HTTPExecutor
  init(_ executor: HTTPExecutor) { self.executor = executor }
}

private final class ListenerBox {
  let listener: Vitrine.MessageListener
  init(_ listener: @escaping Vitrine.MessageListener) { self.listener = listener }
}

private let vitrineExecuteTrampoline: vt_http_execute_fn = { userData, request, response in
  guard let userData = userData, let request = request, let response = response else { return }
  let box = Unmanaged<ExecutorBox>.fromOpaque(userData).takeUnretainedValue()
  let r = request.pointee
  var headers: [String: String] = [:]
  for i in 0..<r.header_count {
    let header = r.headers[i]
    headers[string(header.name)] = string(header.value)
  }
  let body = r.body.map { Data(bytes: $0, count: r.body_size) } ?? Data()
  let answer = box.executor.execute(
    HTTPRequest(method: string(r.method), url: string(r.url), headers: headers, body: body,
                timeout: TimeInterval(r.timeout_ms) / 1000))
  if let transportError = answer.transportError {
    vt_http_response_set_transport_error(response, transportError)
    return
  }
  vt_http_response_set_status(response, Int32(answer.status))
  for (name, value) in answer.headers { vt_http_response_add_header(response, name, value) }
  answer.body.withUnsafeBytes { raw in
    vt_http_response_set_body(response, raw.bindMemory(to: UInt8.self).baseAddress, raw.count)
  }
}

private let vitrineMessageTrampoline: vt_message_fn = { userData, message in
  guard let userData = userData, let message = message else { return }
  let box = Unmanaged<ListenerBox>.fromOpaque(userData).takeUnretainedValue()
  box.listener(InAppMessage(message.pointee))
}

// MARK: - Conversions

private func string(_ p: UnsafePointer<CChar>?) -> String { p.map { String(cString: $0) } ?? "" }
private func string(_ p: UnsafeMutablePointer<CChar>?) -> String {
  p.map { String(cString: $0) } ?? ""
}

private func withOptionalCString<R>(_ s: String?, _ body: (UnsafePointer<CChar>?) throws -> R)
  rethrows -> R
{
  guard let s = s else { return try body(nil) }
  return try s.withCString { try body($0) }
}

/// C strings that live as long as this object (the ABI copies them during the call).
private final class CStrings {
  private var owned: [UnsafeMutablePointer<CChar>] = []

  deinit { owned.forEach { free($0) } }

  func dup(_ s: String?) -> UnsafePointer<CChar>? {
    guard let s = s, let p = strdup(s) else { return nil }
    owned.append(p)
    return UnsafePointer(p)
  }

  func product(_ product: Product) -> vt_product {
    var p = vt_product()
    p.product_id = dup(product.productId)
    p.variant_id = dup(product.variantId)
    p.sku = dup(product.sku)
    p.price = product.price
    p.currency = dup(product.currency)
    p.name = dup(product.name)
    p.brand = dup(product.brand)
    p.category = dup(product.category)
    p.quantity = product.quantity
    p.position = product.position
    p.list_id = dup(product.listId)
    p.url = dup(product.url)
    p.image_url = dup(product.imageURL)
    return p
  }

  func properties(_ map: [String: String]) -> [vt_property] {
    map.sorted { $0.key < $1.key }.map { vt_property(key: dup($0.key), value: dup($0.value)) }
  }
}

extension Recommendation {
  init(_ r: vt_recommendation) {
    self.init(productId: string(r.product_id), title: string(r.title), price: r.price,
              currency: string(r.currency), imageURL: string(r.image_url), url: string(r.url),
              category: string(r.category), brand: string(r.brand), score: r.score)
  }
}

extension InAppMessage {
  init(_ m: vt_message) {
    self.init(messageId: string(m.message_id), layout: string(m.layout), title: string(m.title),
              body: string(m.body), imageURL: string(m.image_url), ctaLabel: string(m.cta_label),
              ctaURL: string(m.cta_url),
              products: (0..<m.product_count).map { Recommendation(m.products[$0]) },
              priority: m.priority)
  }
}
