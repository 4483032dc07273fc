/* The service worker: the canteen's pages keep opening without a network (issue 12 §6).
 *
 * Served from /sw.js (web/pwa.py), so its scope is the whole site; it takes part only in
 * what is listed here:
 * - the static files (styles, scripts, the QR decoder, icons): cached at install, then
 *   network first, so a new deploy is picked up as soon as the phone is online;
 * - the canteen's work pages (/canteen/…) and the API JSON they read: network first, a copy
 *   kept of each answer; without a network the copy is shown under a banner
 *   "离线，显示的是 HH:MM 的内容".
 * The copies are one person's pages: they are deleted on sign-out (static/offline.js asks),
 * when a page shows that nobody is signed in, and when the server sends a page to sign-in.
 * Writes (POST) are never touched here: static/offline.js queues them.
 */
"use strict";

const VERSION = "2026-11-30.2";
const STATIC_CACHE = "trace-static-" + VERSION;
const PAGE_CACHE = "trace-pages";
const CACHED_AT = "x-trace-cached-at";
const STATIC_FILES = [
  "/static/site.css",
  "/static/admin.css",
  "/static/offline.js",
  "/static/scan.js",
  "/static/receive.js",
  "/static/vendor/jsqr-1.4.0/jsQR.js",
  "/static/manifest.webmanifest",
  "/static/icons/icon-192.png",
  "/static/icons/icon-512.png",
];
// The JSON the canteen's pages read (expected deliveries, stock, meals, receiving checks).
const API_KEPT = /^\/api\/v1\/(me|schools\/\d+\/(stock|expected-deliveries|receipt-checks|meals|samples\/due))$/;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(STATIC_CACHE).then((cache) => cache.addAll(STATIC_FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((key) => key.startsWith("trace-static-") && key !== STATIC_CACHE)
      .map((key) => caches.delete(key))))
    .then(() => self.clients.claim()));
});

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "forget") {
    event.waitUntil(caches.delete(PAGE_CACHE));
  } else if (data.type === "keep" && Array.isArray(data.urls)) {
    // Pages of the menu, fetched ahead so they open offline even if not visited today.
    event.waitUntil(Promise.all(data.urls.filter(isCanteenPath).map((url) =>
      keepCopy(new Request(url, { credentials: "same-origin" })).catch(() => null))));
  }
});

function isCanteenPath(path) {
  return typeof path === "string" && path.startsWith("/canteen/");
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(fetch(request).catch(() => caches.match(request, { ignoreSearch: true })
      .then((cached) => cached || Response.error())));
  } else if (request.mode === "navigate" && isCanteenPath(url.pathname)) {
    event.respondWith(page(request));
  } else if (API_KEPT.test(url.pathname)) {
    event.respondWith(json(request));
  }
});

// A copy of an answer, with the time it was taken; only a page of a signed-in person.
async function keepCopy(request) {
  const response = await fetch(request);
  if (response.redirected && new URL(response.url).pathname === "/signin") {
    await caches.delete(PAGE_CACHE);  // the session ended: its pages are nobody's now
    return response;
  }
  if (response.ok && !response.redirected && response.type === "basic") {
    const headers = new Headers(response.headers);
    headers.set(CACHED_AT, String(Date.now()));
    const copy = new Response(await response.clone().blob(), { status: response.status, headers: headers });
    const cache = await caches.open(PAGE_CACHE);
    await cache.put(request.url, copy);
  }
  return response;
}

async function cachedCopy(request) {
  const cache = await caches.open(PAGE_CACHE);
  return (await cache.match(request.url)) || (await cache.match(request.url, { ignoreSearch: true }));
}

async function page(request) {
  try {
    return await keepCopy(request);
  } catch (offline) {
    const cached = await cachedCopy(request);
    return cached ? withBanner(cached) : notKept();
  }
}

async function json(request) {
  try {
    return await keepCopy(request);
  } catch (offline) {
    return (await cachedCopy(request)) || Response.error();
  }
}

function hhmm(at) {
  return String(at.getHours()).padStart(2, "0") + ":" + String(at.getMinutes()).padStart(2, "0");
}

function escapeHtml(text) {
  return text.replace(/[&<>"]/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;" })[ch]);
}

async function withBanner(cached) {
  const html = await cached.text();
  const at = hhmm(new Date(Number(cached.headers.get(CACHED_AT)) || Date.now()));
  const english = /<html lang="en"/.test(html);
  const text = english ? "Offline: showing the page as it was at " + at : "离线，显示的是 " + at + " 的内容";
  const banner = "<p class=\"offline-banner\" role=\"status\" data-offline-banner>" + escapeHtml(text) + "</p>";
  const headers = new Headers(cached.headers);
  headers.delete("content-length");
  return new Response(html.replace(/<main[^>]*>/, (open) => open + banner), { status: 200, headers: headers });
}

function notKept() {
  const html = "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">" +
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">" +
    "<title>离线 Offline</title><link rel=\"stylesheet\" href=\"/static/site.css\"></head><body><main>" +
    "<h1>离线</h1><p class=\"offline-banner\" role=\"status\">没有网络，本机也没有这个页面的副本。联网后再打开。</p>" +
    "<p lang=\"en\">Offline, and this page was not kept on this device. Open it again when online.</p>" +
    "<p><a href=\"/canteen/deliveries\">今日到货 Today's deliveries</a></p></main></body></html>";
  return new Response(html, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
}
