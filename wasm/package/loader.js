/* Vitrine loader: the snippet a theme pastes. It defines window.vitrine at once, so the page can
 * call it before anything is downloaded, queues those calls, and after the page has loaded (when
 * the browser is idle) imports vitrine.js, opens the client and replays the queue in order.
 *
 *   <script src="/vitrine/loader.js" data-server-url="https://sync.example.com"
 *           data-write-key="wk_live_..." async></script>
 *   <script>
 *     window.vitrine = window.vitrine || [];   // optional: calls before the loader ran
 *     vitrine.push(['track', 'page_viewed', { pageUrl: location.href }]);
 *   </script>
 *
 * Or inline: set window.vitrineConfig = {serverUrl, writeKey, src: '/vitrine/vitrine.js'} and
 * paste this file into a <script>. Calls: vitrine.track(type, props), vitrine.identify(id,
 * traits), vitrine.setConsent(bool), vitrine.flush(), vitrine.onMessage(cb),
 * vitrine.ready(cb(instance)), vitrine.captureDataLayer() (GA4 dataLayer capture via
 * mappings.js), or vitrine.push([name, ...args]) / vitrine(name, ...args) for any of them.
 * Config keys (vitrineConfig or data-* attributes): serverUrl, writeKey, src, namespace,
 * storage, pageView (track page_viewed on load), dataLayer (capture GA4 dataLayer events).
 */
(function (w, d) {
  'use strict';
  var prior = w.vitrine;
  if (prior && prior.__vitrineLoader) return;
  var script = d.currentScript;
  var config = {};
  var k;
  var given = w.vitrineConfig || {};
  for (k in given) if (Object.prototype.hasOwnProperty.call(given, k)) config[k] = given[k];
  if (script && script.dataset) {
    var ds = script.dataset;
    if (ds.serverUrl) config.serverUrl = ds.serverUrl;
    if (ds.writeKey) config.writeKey = ds.writeKey;
    if (ds.namespace) config.namespace = ds.namespace;
    if (ds.storage) config.storage = ds.storage;
    if (ds.src) config.src = ds.src;
    if (ds.pageView) config.pageView = ds.pageView !== 'false';
    if (ds.dataLayer) config.dataLayer = ds.dataLayer !== 'false';
  }
  if (!config.src) {
    config.src = script && script.src ? new URL('vitrine.js', script.src).href : '/vitrine/vitrine.js';
  }

  var queue = [];
  var instance = null;
  var failed = null;
  var METHODS = ['track', 'identify', 'setConsent', 'flush', 'onMessage', 'ready',
    'captureDataLayer', 'messageViewed', 'messageClicked', 'messageDismissed'];

  function run(cmd) {
    var name = cmd[0];
    var args = Array.prototype.slice.call(cmd, 1);
    if (name === 'ready') {
      if (typeof args[0] === 'function') args[0](instance);
      return;
    }
    if (name === 'captureDataLayer') {
      import(new URL('mappings.js', new URL(config.src, d.baseURI || w.location.href)).href).then(function (m) {
        m.captureDataLayer(instance, args[0]);
      });
      return;
    }
    if (typeof instance[name] !== 'function') return;
    try {
      instance[name].apply(instance, args);
    } catch (e) {
      // The API returns errors as values; a throw here is a host callback's and stays there.
    }
  }

  function enqueue(cmd) {
    if (instance) run(cmd);
    else if (!failed) queue.push(cmd);
    return queue.length;
  }

  var api = function () { return enqueue(arguments); };
  api.__vitrineLoader = true;
  api.push = function (cmd) { return enqueue(cmd); };
  api.config = config;
  METHODS.forEach(function (name) {
    api[name] = function () {
      return enqueue([name].concat(Array.prototype.slice.call(arguments)));
    };
  });
  api.error = function () { return failed; };
  w.vitrine = api;
  // Calls made before the loader ran (window.vitrine = [] as a plain queue).
  if (Array.isArray(prior)) prior.forEach(function (cmd) { enqueue(cmd); });

  function start() {
    var load = typeof config.load === 'function' ? config.load : function (src) { return import(src); };
    load(config.src).then(function (mod) {
      var opts = {};
      for (var key in config) {
        if (['src', 'load', 'pageView', 'dataLayer'].indexOf(key) < 0) opts[key] = config[key];
      }
      return mod.Vitrine.open(opts);
    }).then(function (v) {
      instance = v;
      api.instance = v;
      if (config.pageView) {
        v.track('page_viewed', { pageUrl: w.location ? w.location.href : '', referrer: d.referrer || '' });
      }
      if (config.dataLayer) queue.unshift(['captureDataLayer']);
      var pending = queue.splice(0);
      pending.forEach(run);
    }, function (e) {
      failed = e;
      queue.length = 0;
      if (w.console) w.console.warn('vitrine: not loaded:', e && e.message ? e.message : e);
    });
  }

  function whenIdle() {
    if (w.requestIdleCallback) w.requestIdleCallback(start, { timeout: 3000 });
    else w.setTimeout(start, 1);
  }
  if (d.readyState === 'complete') whenIdle();
  else w.addEventListener('load', whenIdle);
})(window, document);
