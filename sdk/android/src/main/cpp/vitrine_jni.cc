// JNI layer of the Android SDK: dev.vitrine.Vitrine's native methods over the C ABI (vitrine.h).
//
// Thin on purpose: each function converts its Java arguments to the C ABI's structs, makes one
// vt_* call, converts the result back and releases what it allocated. Only vitrine.h is included;
// no C++ SDK header, so this file builds against the mobile library's C ABI alone.
//
// Contract
// - Arguments were checked for null in Java; anything the SDK refuses comes back as a
//   dev.vitrine.VitrineException(code, message) thrown here. No C++ exception leaves this file.
// - Strings cross as UTF-16 (GetStringRegion / NewString) converted to and from real UTF-8 here:
//   JNI's "modified UTF-8" differs for NUL and for characters outside the BMP (emoji), and
//   Android's CheckJNI aborts on NewStringUTF with 4-byte sequences.
// - Callbacks (HTTP executor, message listener) run on the SDK's scheduler thread, a native
//   thread. It is attached to the VM on first use (as a daemon, so a leaked client never blocks VM
//   exit) and stays attached, since it calls back once per send; a thread_local guard detaches it
//   when the thread exits (vt_client_close joins it). Each callback runs in its own local frame
//   because such a thread never returns to Java to free local references.
// - Lifetime: nativeOpen allocates a JniClient holding the vt_client and global references to
//   the Java HttpExecutor and listener slot; nativeClose closes the client first (which stops
//   the thread that uses them) and then drops the references. The Java side serialises close
//   against other calls with a read-write lock.
#include <jni.h>

#include <cstdint>
#include <cstring>
#include <deque>
#include <new>
#include <string>
#include <vector>

// The javac-generated declarations check every signature here against Vitrine.java. The NDK
// build (no javac -h step) compiles without them; JNIEXPORT alone exports the functions.
#ifndef VITRINE_JNI_NO_GENERATED_HEADER
#include "dev_vitrine_Vitrine.h"
#endif
#include "vitrine.h"

namespace {

JavaVM* g_vm = nullptr;
// Global references and ids cached in JNI_OnLoad (FindClass on a native thread would use the
// system class loader and miss dev.vitrine classes on Android).
jclass g_string_class = nullptr;
jclass g_object_class = nullptr;
jclass g_vitrine_class = nullptr;
jclass g_exception_class = nullptr;
jmethodID g_exception_ctor = nullptr;
jmethodID g_execute_http = nullptr;
jmethodID g_deliver_message = nullptr;

struct JniClient {
  vt_client* client = nullptr;
  jobject executor = nullptr;       // global ref to dev.vitrine.HttpExecutor, or null
  jobject listener_slot = nullptr;  // global ref to Vitrine.ListenerSlot
};

JniClient* FromHandle(jlong handle) {
  return reinterpret_cast<JniClient*>(static_cast<intptr_t>(handle));
}

// ---- UTF-8 <-> UTF-16 ----

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string ToUtf8(JNIEnv* env, jstring s) {
  std::string out;
  if (s == nullptr) return out;
  const jsize n = env->GetStringLength(s);
  if (n == 0) return out;
  std::vector<jchar> units(static_cast<size_t>(n));
  env->GetStringRegion(s, 0, n, units.data());
  out.reserve(units.size());
  for (size_t i = 0; i < units.size(); ++i) {
    uint32_t cp = units[i];
    if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < units.size() && units[i + 1] >= 0xDC00 &&
        units[i + 1] <= 0xDFFF) {
      cp = 0x10000 + ((cp - 0xD800) << 10) + (units[i + 1] - 0xDC00u);
      ++i;
    } else if (cp >= 0xD800 && cp <= 0xDFFF) {
      cp = 0xFFFD;  // unpaired surrogate
    }
    AppendUtf8(&out, cp);
  }
  return out;
}

// Invalid UTF-8 from the SDK becomes U+FFFD instead of a VM abort.
jstring ToJava(JNIEnv* env, const char* s) {
  if (s == nullptr) return nullptr;
  std::vector<jchar> units;
  const auto* p = reinterpret_cast<const unsigned char*>(s);
  while (*p != 0) {
    uint32_t cp = 0xFFFD;
    size_t len = 1;
    if (p[0] < 0x80) {
      cp = p[0];
    } else if ((p[0] & 0xE0) == 0xC0 && (p[1] & 0xC0) == 0x80) {
      cp = ((p[0] & 0x1Fu) << 6) | (p[1] & 0x3Fu);
      len = 2;
      if (cp < 0x80) cp = 0xFFFD;
    } else if ((p[0] & 0xF0) == 0xE0 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80) {
      cp = ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
      len = 3;
      if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
    } else if ((p[0] & 0xF8) == 0xF0 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80 &&
               (p[3] & 0xC0) == 0x80) {
      cp = ((p[0] & 0x07u) << 18) | ((p[1] & 0x3Fu) << 12) | ((p[2] & 0x3Fu) << 6) | (p[3] & 0x3Fu);
      len = 4;
      if (cp < 0x10000 || cp > 0x10FFFF) cp = 0xFFFD;
    }
    p += len;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      units.push_back(static_cast<jchar>(0xD800 + (cp >> 10)));
      units.push_back(static_cast<jchar>(0xDC00 + (cp & 0x3FF)));
    } else {
      units.push_back(static_cast<jchar>(cp));
    }
  }
  static const jchar kEmpty = 0;
  return env->NewString(units.empty() ? &kEmpty : units.data(), static_cast<jsize>(units.size()));
}

// Owns the UTF-8 copies of one call's strings; c_str() pointers stay valid (deque never moves
// its elements on push_back) until the call returns.
class Strings {
 public:
  explicit Strings(JNIEnv* env) : env_(env) {}

  // NULL for a null Java string: the C ABI reads NULL as "empty" or "absent".
  const char* Get(jstring s) {
    if (s == nullptr) return nullptr;
    held_.push_back(ToUtf8(env_, s));
    return held_.back().c_str();
  }
  const char* At(jobjectArray array, jsize i) {
    auto s = static_cast<jstring>(env_->GetObjectArrayElement(array, i));
    const char* out = Get(s);
    env_->DeleteLocalRef(s);
    return out;
  }

 private:
  JNIEnv* env_;
  std::deque<std::string> held_;
};

jsize Length(JNIEnv* env, jarray a) { return a == nullptr ? 0 : env->GetArrayLength(a); }

// Throws VitrineException(status, message) when status != VT_OK; frees the message either way.
// Returns true when an exception is now pending.
bool ThrowIfError(JNIEnv* env, vt_status status, char* message) {
  if (status == VT_OK) {
    vt_free_string(message);
    return false;
  }
  jstring text = ToJava(env, message != nullptr ? message : vt_status_name(status));
  vt_free_string(message);
  auto ex = static_cast<jthrowable>(
      env->NewObject(g_exception_class, g_exception_ctor, static_cast<jint>(status), text));
  if (ex != nullptr) env->Throw(ex);
  return true;
}

// One product's 10 strings from `s` starting at `base`, in Product.flattenStrings' order.
void ReadProductStrings(Strings* strings, jobjectArray s, jsize base, vt_product* p) {
  p->product_id = strings->At(s, base);
  p->variant_id = strings->At(s, base + 1);
  p->sku = strings->At(s, base + 2);
  p->currency = strings->At(s, base + 3);
  p->name = strings->At(s, base + 4);
  p->brand = strings->At(s, base + 5);
  p->category = strings->At(s, base + 6);
  p->list_id = strings->At(s, base + 7);
  p->url = strings->At(s, base + 8);
  p->image_url = strings->At(s, base + 9);
}

// Products from the parallel arrays Vitrine.Packed builds: 10 strings, a price and
// {quantity, position} per product.
std::vector<vt_product> ReadProducts(JNIEnv* env, Strings* strings, jobjectArray s,
                                     jdoubleArray prices, jintArray ints) {
  const jsize n = Length(env, prices);
  std::vector<vt_product> out(static_cast<size_t>(n));
  if (n == 0) return out;
  std::vector<jdouble> price(static_cast<size_t>(n));
  std::vector<jint> qp(static_cast<size_t>(n) * 2);
  env->GetDoubleArrayRegion(prices, 0, n, price.data());
  env->GetIntArrayRegion(ints, 0, n * 2, qp.data());
  for (jsize i = 0; i < n; ++i) {
    vt_product& p = out[static_cast<size_t>(i)];
    ReadProductStrings(strings, s, i * 10, &p);
    p.price = price[static_cast<size_t>(i)];
    p.quantity = qp[static_cast<size_t>(i) * 2];
    p.position = qp[static_cast<size_t>(i) * 2 + 1];
  }
  return out;
}

// Key/value pairs from a flat String[] {k0, v0, k1, v1, ...}.
std::vector<vt_property> ReadPairs(JNIEnv* env, Strings* strings, jobjectArray flat) {
  const jsize n = Length(env, flat) / 2;
  std::vector<vt_property> out(static_cast<size_t>(n));
  for (jsize i = 0; i < n; ++i) {
    out[static_cast<size_t>(i)] =
        vt_property{strings->At(flat, 2 * i), strings->At(flat, 2 * i + 1)};
  }
  return out;
}

// {String[] 7 per item, double[] price and score per item}; see Vitrine.unpackRecommendations.
jobjectArray PackRecommendations(JNIEnv* env, const vt_recommendation* recs, size_t count) {
  const auto n = static_cast<jsize>(count);
  jobjectArray s = env->NewObjectArray(n * 7, g_string_class, nullptr);
  jdoubleArray d = env->NewDoubleArray(n * 2);
  jobjectArray packed = env->NewObjectArray(2, g_object_class, nullptr);
  if (s == nullptr || d == nullptr || packed == nullptr) return nullptr;  // OOM pending
  std::vector<jdouble> numbers(count * 2);
  for (size_t i = 0; i < count; ++i) {
    const vt_recommendation& r = recs[i];
    const char* fields[7] = {r.product_id, r.title,    r.currency, r.image_url,
                             r.url,        r.category, r.brand};
    for (jsize f = 0; f < 7; ++f) {
      jstring js = ToJava(env, fields[f]);
      env->SetObjectArrayElement(s, static_cast<jsize>(i) * 7 + f, js);
      env->DeleteLocalRef(js);
    }
    numbers[2 * i] = r.price;
    numbers[2 * i + 1] = r.score;
  }
  env->SetDoubleArrayRegion(d, 0, n * 2, numbers.data());
  env->SetObjectArrayElement(packed, 0, s);
  env->SetObjectArrayElement(packed, 1, d);
  env->DeleteLocalRef(s);
  env->DeleteLocalRef(d);
  return packed;
}

// {String[7], int[]{priority}, Object[] packed recommendations}; see Vitrine.unpackMessage.
jobjectArray PackMessage(JNIEnv* env, const vt_message& m) {
  jobjectArray s = env->NewObjectArray(7, g_string_class, nullptr);
  jintArray priority = env->NewIntArray(1);
  jobjectArray recs = PackRecommendations(env, m.products, m.product_count);
  jobjectArray packed = env->NewObjectArray(3, g_object_class, nullptr);
  if (s == nullptr || priority == nullptr || recs == nullptr || packed == nullptr) return nullptr;
  const char* fields[7] = {m.message_id, m.layout,    m.title,  m.body,
                           m.image_url,  m.cta_label, m.cta_url};
  for (jsize f = 0; f < 7; ++f) {
    jstring js = ToJava(env, fields[f]);
    env->SetObjectArrayElement(s, f, js);
    env->DeleteLocalRef(js);
  }
  const jint p = m.priority;
  env->SetIntArrayRegion(priority, 0, 1, &p);
  env->SetObjectArrayElement(packed, 0, s);
  env->SetObjectArrayElement(packed, 1, priority);
  env->SetObjectArrayElement(packed, 2, recs);
  env->DeleteLocalRef(s);
  env->DeleteLocalRef(priority);
  env->DeleteLocalRef(recs);
  return packed;
}

// ---- Callback threads ----

// Detaches a thread this file attached, when that thread exits.
struct ThreadAttachment {
  bool attached = false;
  ~ThreadAttachment() {
    if (attached && g_vm != nullptr) g_vm->DetachCurrentThread();
  }
};
thread_local ThreadAttachment t_attachment;

JNIEnv* CallbackEnv() {
  if (g_vm == nullptr) return nullptr;
  void* env = nullptr;
  const jint got = g_vm->GetEnv(&env, JNI_VERSION_1_6);
  if (got == JNI_OK) return static_cast<JNIEnv*>(env);
  if (got != JNI_EDETACHED) return nullptr;
  JavaVMAttachArgs args{JNI_VERSION_1_6, const_cast<char*>("vitrine-sdk"), nullptr};
  // Android's jni.h declares the first parameter JNIEnv**, the JDK's void**.
#ifdef __ANDROID__
  JNIEnv* attached = nullptr;
  if (g_vm->AttachCurrentThreadAsDaemon(&attached, &args) != JNI_OK) return nullptr;
  env = attached;
#else
  if (g_vm->AttachCurrentThreadAsDaemon(&env, &args) != JNI_OK) return nullptr;
#endif
  t_attachment.attached = true;
  return static_cast<JNIEnv*>(env);
}

// vt_http_execute_fn: hands the request to Vitrine.executeHttp (which calls the host's
// HttpExecutor and never throws) and copies its answer into the SDK's response.
void ExecuteHttp(void* user_data, const vt_http_request* request, vt_http_response* response) {
  auto* jc = static_cast<JniClient*>(user_data);
  JNIEnv* env = CallbackEnv();
  if (env == nullptr) {
    vt_http_response_set_transport_error(response, "cannot attach the SDK thread to the VM");
    return;
  }
  if (env->PushLocalFrame(32) != JNI_OK) {
    env->ExceptionClear();
    vt_http_response_set_transport_error(response, "out of memory in the VM");
    return;
  }
  const auto header_count = static_cast<jsize>(request->header_count);
  jobjectArray headers = env->NewObjectArray(header_count * 2, g_string_class, nullptr);
  jbyteArray body = env->NewByteArray(static_cast<jsize>(request->body_size));
  jstring method = ToJava(env, request->method);
  jstring url = ToJava(env, request->url);
  jobjectArray answer = nullptr;
  if (headers != nullptr && body != nullptr && method != nullptr && url != nullptr) {
    for (jsize i = 0; i < header_count; ++i) {
      const vt_http_header& h = request->headers[i];
      env->SetObjectArrayElement(headers, 2 * i, ToJava(env, h.name));
      env->SetObjectArrayElement(headers, 2 * i + 1, ToJava(env, h.value));
    }
    if (request->body_size > 0) {
      env->SetByteArrayRegion(body, 0, static_cast<jsize>(request->body_size),
                              reinterpret_cast<const jbyte*>(request->body));
    }
    answer = static_cast<jobjectArray>(
        env->CallStaticObjectMethod(g_vitrine_class, g_execute_http, jc->executor, method, url,
                                    headers, body, static_cast<jlong>(request->timeout_ms)));
  }
  if (env->ExceptionCheck() || answer == nullptr) {
    env->ExceptionClear();  // only a VM error gets here; executeHttp catches the host's
    vt_http_response_set_transport_error(response, "HttpExecutor failed inside the VM");
    env->PopLocalFrame(nullptr);
    return;
  }
  auto status_array = static_cast<jintArray>(env->GetObjectArrayElement(answer, 0));
  auto response_headers = static_cast<jobjectArray>(env->GetObjectArrayElement(answer, 1));
  auto response_body = static_cast<jbyteArray>(env->GetObjectArrayElement(answer, 2));
  auto transport_error = static_cast<jstring>(env->GetObjectArrayElement(answer, 3));
  jint status = 0;
  env->GetIntArrayRegion(status_array, 0, 1, &status);
  vt_http_response_set_status(response, status);
  Strings strings(env);
  const jsize pairs = Length(env, response_headers) / 2;
  for (jsize i = 0; i < pairs; ++i) {
    vt_http_response_add_header(response, strings.At(response_headers, 2 * i),
                                strings.At(response_headers, 2 * i + 1));
  }
  const jsize body_size = Length(env, response_body);
  if (body_size > 0) {
    jbyte* bytes = env->GetByteArrayElements(response_body, nullptr);
    if (bytes != nullptr) {
      vt_http_response_set_body(response, reinterpret_cast<const uint8_t*>(bytes),
                                static_cast<size_t>(body_size));
      env->ReleaseByteArrayElements(response_body, bytes, JNI_ABORT);
    }
  }
  if (transport_error != nullptr) {
    vt_http_response_set_transport_error(response, strings.Get(transport_error));
  }
  env->PopLocalFrame(nullptr);
}

// vt_message_fn: copies the message into Java objects and hands them to the listener slot.
void DeliverMessage(void* user_data, const vt_message* message) {
  auto* jc = static_cast<JniClient*>(user_data);
  JNIEnv* env = CallbackEnv();
  if (env == nullptr || message == nullptr) return;
  if (env->PushLocalFrame(32) != JNI_OK) {
    env->ExceptionClear();
    return;
  }
  jobjectArray packed = PackMessage(env, *message);
  if (packed != nullptr) {
    env->CallStaticVoidMethod(g_vitrine_class, g_deliver_message, jc->listener_slot, packed);
  }
  env->ExceptionClear();  // deliverMessage catches the listener's; nothing may stay pending
  env->PopLocalFrame(nullptr);
}

jclass GlobalClass(JNIEnv* env, const char* name) {
  jclass local = env->FindClass(name);
  if (local == nullptr) return nullptr;
  auto global = static_cast<jclass>(env->NewGlobalRef(local));
  env->DeleteLocalRef(local);
  return global;
}

// Option numbers in the order of Vitrine.Builder.numbers; -1 keeps vt_options_init's default.
enum OptionNumber {
  kSessionTimeoutMs,
  kMaxBatchEvents,
  kMaxBatchBytes,
  kFlushIntervalMs,
  kPersistIntervalMs,
  kJournalBytes,
  kMaxQueueBytes,
  kMaxEventAgeMs,
  kBackoffInitialMs,
  kBackoffMaxMs,
  kRequestTimeoutMs,
  kCompress,
  kDefaultSnapshotTtlMs,
  kRandomSeed,
  kRandomSeedSet,
  kOptionNumberCount
};

template <typename T>
void SetIfGiven(T* field, jlong value) {
  if (value >= 0) *field = static_cast<T>(value);
}

}  // namespace

extern "C" {

JNIEXPORT jint JNI_OnLoad(JavaVM* vm, void* /*reserved*/) {
  void* raw = nullptr;
  if (vm->GetEnv(&raw, JNI_VERSION_1_6) != JNI_OK) return JNI_ERR;
  auto* env = static_cast<JNIEnv*>(raw);
  g_vm = vm;
  g_string_class = GlobalClass(env, "java/lang/String");
  g_object_class = GlobalClass(env, "java/lang/Object");
  g_vitrine_class = GlobalClass(env, "dev/vitrine/Vitrine");
  g_exception_class = GlobalClass(env, "dev/vitrine/VitrineException");
  if (g_string_class == nullptr || g_object_class == nullptr || g_vitrine_class == nullptr ||
      g_exception_class == nullptr) {
    return JNI_ERR;
  }
  g_exception_ctor = env->GetMethodID(g_exception_class, "<init>", "(ILjava/lang/String;)V");
  g_execute_http = env->GetStaticMethodID(
      g_vitrine_class, "executeHttp",
      "(Ldev/vitrine/HttpExecutor;Ljava/lang/String;Ljava/lang/String;[Ljava/lang/String;[BJ)"
      "[Ljava/lang/Object;");
  g_deliver_message =
      env->GetStaticMethodID(g_vitrine_class, "deliverMessage",
                             "(Ldev/vitrine/Vitrine$ListenerSlot;[Ljava/lang/Object;)V");
  if (g_exception_ctor == nullptr || g_execute_http == nullptr || g_deliver_message == nullptr) {
    return JNI_ERR;
  }
  return JNI_VERSION_1_6;
}

JNIEXPORT jlong JNICALL Java_dev_vitrine_Vitrine_nativeOpen(JNIEnv* env, jclass,
                                                            jobjectArray strings,
                                                            jlongArray numbers, jobject executor,
                                                            jobject listener_slot) {
  Strings s(env);
  vt_options o;
  vt_options_init(&o);
  o.data_dir = s.At(strings, 0);
  o.server_url = s.At(strings, 1);
  o.write_key = s.At(strings, 2);
  o.ca_file = s.At(strings, 3);
  o.app_version = s.At(strings, 4);
  jlong n[kOptionNumberCount];
  env->GetLongArrayRegion(numbers, 0, kOptionNumberCount, n);
  SetIfGiven(&o.session_timeout_ms, n[kSessionTimeoutMs]);
  SetIfGiven(&o.max_batch_events, n[kMaxBatchEvents]);
  SetIfGiven(&o.max_batch_bytes, n[kMaxBatchBytes]);
  SetIfGiven(&o.flush_interval_ms, n[kFlushIntervalMs]);
  SetIfGiven(&o.persist_interval_ms, n[kPersistIntervalMs]);
  SetIfGiven(&o.journal_bytes, n[kJournalBytes]);
  SetIfGiven(&o.max_queue_bytes, n[kMaxQueueBytes]);
  SetIfGiven(&o.max_event_age_ms, n[kMaxEventAgeMs]);
  SetIfGiven(&o.backoff_initial_ms, n[kBackoffInitialMs]);
  SetIfGiven(&o.backoff_max_ms, n[kBackoffMaxMs]);
  SetIfGiven(&o.request_timeout_ms, n[kRequestTimeoutMs]);
  SetIfGiven(&o.compress, n[kCompress]);
  SetIfGiven(&o.default_snapshot_ttl_ms, n[kDefaultSnapshotTtlMs]);
  if (n[kRandomSeedSet] != 0) o.random_seed = static_cast<uint64_t>(n[kRandomSeed]);

  auto* jc = new (std::nothrow) JniClient;
  if (jc == nullptr) {
    ThrowIfError(env, VT_INTERNAL, nullptr);
    return 0;
  }
  jc->listener_slot = env->NewGlobalRef(listener_slot);
  if (executor != nullptr) {
    jc->executor = env->NewGlobalRef(executor);
    o.http_execute = ExecuteHttp;
    o.http_user_data = jc;
  }
  char* error = nullptr;
  const vt_status st = vt_client_open(&o, &jc->client, &error);
  if (st == VT_OK) {
    // Installed once for the client's life: Java swaps listeners in the slot, so no native
    // listener is ever replaced while the scheduler thread may be calling it.
    vt_set_message_listener(jc->client, DeliverMessage, jc);
  }
  if (ThrowIfError(env, st, error)) {
    if (jc->executor != nullptr) env->DeleteGlobalRef(jc->executor);
    env->DeleteGlobalRef(jc->listener_slot);
    delete jc;
    return 0;
  }
  return static_cast<jlong>(reinterpret_cast<intptr_t>(jc));
}

JNIEXPORT void JNICALL Java_dev_vitrine_Vitrine_nativeClose(JNIEnv* env, jclass, jlong handle) {
  JniClient* jc = FromHandle(handle);
  if (jc == nullptr) return;
  vt_client_close(jc->client);  // joins the scheduler thread: no callback runs after this
  if (jc->executor != nullptr) env->DeleteGlobalRef(jc->executor);
  env->DeleteGlobalRef(jc->listener_slot);
  delete jc;
}

JNIEXPORT void JNICALL Java_dev_vitrine_Vitrine_nativeProductEvent(JNIEnv* env, jclass,
                                                                   jlong handle, jint kind,
                                                                   jobjectArray strings,
                                                                   jdouble price, jint quantity,
                                                                   jint position) {
  Strings s(env);
  vt_product product{};
  ReadProductStrings(&s, strings, 0, &product);
  product.price = price;
  product.quantity = quantity;
  product.position = position;
  vt_client* c = FromHandle(handle)->client;
  char* error = nullptr;
  vt_status st = VT_INVALID_ARGUMENT;
  switch (kind) {
    case 0:
      st = vt_product_viewed(c, &product, &error);
      break;
    case 1:
      st = vt_product_added_to_cart(c, &product, &error);
      break;
    case 2:
      st = vt_product_removed_from_cart(c, &product, &error);
      break;
    default:
      break;
  }
  ThrowIfError(env, st, error);
}

JNIEXPORT void JNICALL Java_dev_vitrine_Vitrine_nativeOrderCompleted(
    JNIEnv* env, jclass, jlong handle, jobjectArray strings, jdoubleArray numbers,
    jobjectArray product_strings, jdoubleArray product_prices, jintArray product_ints) {
  Strings s(env);
  std::vector<vt_product> products =
      ReadProducts(env, &s, product_strings, product_prices, product_ints);
  jdouble n[3];
  env->GetDoubleArrayRegion(numbers, 0, 3, n);
  vt_order order{};
  order.order_id = s.At(strings, 0);
  order.currency = s.At(strings, 1);
  order.coupon = s.At(strings, 2);
  order.value = n[0];
  order.tax = n[1];
  order.shipping = n[2];
  order.products = products.empty() ? nullptr : products.data();
  order.product_count = products.size();
  char* error = nullptr;
  const vt_status st = vt_order_completed(FromHandle(handle)->client, &order, &error);
  ThrowIfError(env, st, error);
}

JNIEXPORT void JNICALL Java_dev_vitrine_Vitrine_nativeSearchSubmitted(JNIEnv* env, jclass,
                                                                      jlong handle, jstring query) {
  Strings s(env);
  char* error = nullptr;
  const vt_status st = vt_search_submitted(FromHandle(handle)->client, s.Get(query), &error);
  ThrowIfError(env, st, error);
}

JNIEXPORT void JNICALL Java_dev_vitrine_Vitrine_nativePageViewed(JNIEnv* env, jclass, jlong handle,
                                                                 jstring url, jstring referrer) {
  Strings s(env);
  char* error = nullptr;
  const vt_status st =
      vt_page_viewed(FromHandle(handle)->client, s.Get(url), s.Get(referrer), &error);
  ThrowIfError(env, st, error);
}

JNIEXPORT void JNICALL Java_dev_vitrine_Vitrine_nativeTrack(
    JNIEnv* env, jclass, jlong handle, jobjectArray strings, jint checkout_step,
    jobjectArray product_strings, jdoubleArray product_prices, jintArray product_ints,
    jobjectArray order_strings, jdoubleArray order_numbers, jobjectArray order_product_strings,
    jdoubleArray order_product_prices, jintArray order_product_ints, jobjectArray traits,
    jobjectArray properties) {
  Strings s(env);
  std::vector<vt_product> products =
      ReadProducts(env, &s, product_strings, product_prices, product_ints);
  std::vector<vt_product> order_products =
      ReadProducts(env, &s, order_product_strings, order_product_prices, order_product_ints);
  std::vector<vt_property> trait_pairs = ReadPairs(env, &s, traits);
  std::vector<vt_property> property_pairs = ReadPairs(env, &s, properties);
  vt_order order{};
  if (order_strings != nullptr) {
    jdouble n[3];
    env->GetDoubleArrayRegion(order_numbers, 0, 3, n);
    order.order_id = s.At(order_strings, 0);
    order.currency = s.At(order_strings, 1);
    order.coupon = s.At(order_strings, 2);
    order.value = n[0];
    order.tax = n[1];
    order.shipping = n[2];
    order.products = order_products.empty() ? nullptr : order_products.data();
    order.product_count = order_products.size();
  }
  vt_event e{};
  e.struct_size = sizeof(vt_event);
  e.type = s.At(strings, 0);
  e.query = s.At(strings, 1);
  e.list_id = s.At(strings, 2);
  e.list_name = s.At(strings, 3);
  e.page_url = s.At(strings, 4);
  e.referrer = s.At(strings, 5);
  e.message_id = s.At(strings, 6);
  e.placement = s.At(strings, 7);
  e.promotion_id = s.At(strings, 8);
  e.checkout_step = checkout_step;
  e.products = products.empty() ? nullptr : products.data();
  e.product_count = products.size();
  e.order = order_strings != nullptr ? &order : nullptr;
  e.traits = trait_pairs.empty() ? nullptr : trait_pairs.data();
  e.trait_count = trait_pairs.size();
  e.properties = property_pairs.empty() ? nullptr : property_pairs.data();
  e.property_count = property_pairs.size();
  char* error = nullptr;
  const vt_status st = vt_track(FromHandle(handle)->client, &e, &error);
  ThrowIfError(env, st, error);
}

JNIEXPORT void JNICALL Java_dev_vitrine_Vitrine_nativeIdentify(JNIEnv* env, jclass, jlong handle,
                                                               jstring user_id,
                                                               jobjectArray traits) {
  Strings s(env);
  std::vector<vt_property> pairs = ReadPairs(env, &s, traits);
  char* error = nullptr;
  const vt_status st = vt_identify(FromHandle(handle)->client, s.Get(user_id),
                                   pairs.empty() ? nullptr : pairs.data(), pairs.size(), &error);
  ThrowIfError(env, st, error);
}

JNIEXPORT void JNICALL Java_dev_vitrine_Vitrine_nativeReset(JNIEnv* env, jclass, jlong handle) {
  char* error = nullptr;
  const vt_status st = vt_reset(FromHandle(handle)->client, &error);
  ThrowIfError(env, st, error);
}

JNIEXPORT void JNICALL Java_dev_vitrine_Vitrine_nativeSetConsent(JNIEnv* env, jclass, jlong handle,
                                                                 jboolean granted) {
  char* error = nullptr;
  const vt_status st =
      vt_set_consent(FromHandle(handle)->client, granted == JNI_TRUE ? 1 : 0, &error);
  ThrowIfError(env, st, error);
}

JNIEXPORT void JNICALL Java_dev_vitrine_Vitrine_nativeRequestDeletion(JNIEnv* env, jclass,
                                                                      jlong handle) {
  char* error = nullptr;
  const vt_status st = vt_request_deletion(FromHandle(handle)->client, &error);
  ThrowIfError(env, st, error);
}

JNIEXPORT void JNICALL Java_dev_vitrine_Vitrine_nativeFlush(JNIEnv* env, jclass, jlong handle) {
  char* error = nullptr;
  const vt_status st = vt_flush(FromHandle(handle)->client, &error);
  ThrowIfError(env, st, error);
}

JNIEXPORT void JNICALL Java_dev_vitrine_Vitrine_nativeOnForeground(JNIEnv* env, jclass,
                                                                   jlong handle) {
  ThrowIfError(env, vt_on_foreground(FromHandle(handle)->client), nullptr);
}

JNIEXPORT jobjectArray JNICALL Java_dev_vitrine_Vitrine_nativeRecommend(JNIEnv* env, jclass,
                                                                        jlong handle,
                                                                        jstring placement,
                                                                        jstring product_id,
                                                                        jstring category, jint n) {
  Strings s(env);
  vt_recommendation* recs = nullptr;
  size_t count = 0;
  char* error = nullptr;
  const vt_status st = vt_recommend(FromHandle(handle)->client, s.Get(placement), s.Get(product_id),
                                    s.Get(category), static_cast<size_t>(n), &recs, &count, &error);
  if (ThrowIfError(env, st, error)) return nullptr;
  jobjectArray packed = PackRecommendations(env, recs, count);
  vt_free_recommendations(recs, count);
  return packed;
}

JNIEXPORT jobjectArray JNICALL Java_dev_vitrine_Vitrine_nativePendingMessages(JNIEnv* env, jclass,
                                                                              jlong handle) {
  vt_message* messages = nullptr;
  size_t count = 0;
  char* error = nullptr;
  const vt_status st = vt_pending_messages(FromHandle(handle)->client, &messages, &count, &error);
  if (ThrowIfError(env, st, error)) return nullptr;
  jobjectArray out = env->NewObjectArray(static_cast<jsize>(count), g_object_class, nullptr);
  for (size_t i = 0; out != nullptr && i < count; ++i) {
    jobjectArray m = PackMessage(env, messages[i]);
    if (m == nullptr) {
      out = nullptr;  // OutOfMemoryError pending
      break;
    }
    env->SetObjectArrayElement(out, static_cast<jsize>(i), m);
    env->DeleteLocalRef(m);
  }
  vt_free_messages(messages, count);
  return out;
}

JNIEXPORT void JNICALL Java_dev_vitrine_Vitrine_nativeMessageEvent(JNIEnv* env, jclass,
                                                                   jlong handle, jint kind,
                                                                   jstring message_id) {
  Strings s(env);
  vt_client* c = FromHandle(handle)->client;
  char* error = nullptr;
  vt_status st = VT_INVALID_ARGUMENT;
  if (kind == 0) st = vt_message_viewed(c, s.Get(message_id), &error);
  if (kind == 1) st = vt_message_clicked(c, s.Get(message_id), &error);
  if (kind == 2) st = vt_message_dismissed(c, s.Get(message_id), &error);
  ThrowIfError(env, st, error);
}

JNIEXPORT jobjectArray JNICALL Java_dev_vitrine_Vitrine_nativeStats(JNIEnv* env, jclass,
                                                                    jlong handle,
                                                                    jlongArray numbers_out) {
  vt_stats stats;
  char* error = nullptr;
  const vt_status st = vt_get_stats(FromHandle(handle)->client, &stats, &error);
  if (ThrowIfError(env, st, error)) return nullptr;
  const jlong n[9] = {static_cast<jlong>(stats.tracked),
                      static_cast<jlong>(stats.queued),
                      static_cast<jlong>(stats.acked),
                      static_cast<jlong>(stats.evicted),
                      static_cast<jlong>(stats.rejected),
                      static_cast<jlong>(stats.send_attempts),
                      static_cast<jlong>(stats.send_failures),
                      stats.next_send_at_ms,
                      stats.last_retry_after_ms};
  env->SetLongArrayRegion(numbers_out, 0, 9, n);
  const char* fields[5] = {stats.last_error, stats.anonymous_id, stats.user_id, stats.session_id,
                           stats.snapshot_etag};
  jobjectArray out = env->NewObjectArray(5, g_string_class, nullptr);
  for (jsize i = 0; out != nullptr && i < 5; ++i) {
    jstring js = ToJava(env, fields[i]);
    env->SetObjectArrayElement(out, i, js);
    env->DeleteLocalRef(js);
  }
  vt_free_stats(&stats);
  return out;
}

}  // extern "C"
