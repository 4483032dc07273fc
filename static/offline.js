/* Offline first for the canteen's forms (issue 12 §6).
 *
 * - A form marked data-offline="<kind>" is sent with fetch; when the phone has no network
 *   (navigator.onLine false, or the fetch fails) its fields are kept on the device
 *   (IndexedDB) as an operation with a client operation id, and the page says so.
 * - On every page load and whenever the network returns, the operations kept for the
 *   signed-in person are posted to POST /api/v1/sync/operations; each one the server answers
 *   (applied, refused, or already known) leaves the device. Refused ones wait on /canteen/sync.
 * - The service worker (/sw.js) is registered (the layout loads this script for canteen staff
 *   only); the pages it kept are deleted on sign-out and when another person signs in on the
 *   phone (and by the worker itself when the server sends a page to sign-in).
 * Without JavaScript the forms post as before; a scanner gun's Enter is a plain submit.
 */
(function () {
  "use strict";

  var DB_NAME = "trace-offline";
  var STORE = "operations";
  var SYNC_URL = "/api/v1/sync/operations";
  var BATCH = 100;  // the most one sync request takes
  var KEEP_EVERY_MS = 10 * 60 * 1000;
  var body = document.body;
  var user = body ? (body.getAttribute("data-user") || "") : "";
  var role = body ? (body.getAttribute("data-role") || "") : "";
  var english = document.documentElement.lang === "en";
  var csrfMeta = document.querySelector("meta[name=csrf-token]");
  var syncing = false;

  var T = english ? {
    queued: function (n) { return "Saved on this device; it is sent when the network returns (" + n + " waiting to sync)"; },
    waiting: function (n) { return n + " action(s) saved on this device wait to sync."; },
    synced: function (n) { return n + " action(s) saved on this device were sent."; },
    refused: function (n) { return n + " were refused: see Sync."; },
    checks: function (n) { return n + " receiving check(s) wait for a second staff member to confirm."; },
    check: "Confirm the check",
    signIn: "Sign in again to send the actions saved on this device.",
    failed: "The actions saved on this device could not be sent yet; they are kept.",
    none: "Nothing is waiting on this device.",
    reload: "Reload"
  } : {
    queued: function (n) { return "已保存在本机，联网后自动提交 (" + n + " 条待同步)"; },
    waiting: function (n) { return "本机有 " + n + " 条操作待同步。"; },
    synced: function (n) { return "本机保存的 " + n + " 条操作已提交。"; },
    refused: function (n) { return "其中 " + n + " 条被拒，请到“同步”页面处理。"; },
    checks: function (n) { return n + " 张验收单待第二人复核确认。"; },
    check: "去复核",
    signIn: "请重新登录，以提交本机保存的操作。",
    failed: "本机保存的操作暂时无法提交，已保留在本机。",
    none: "本机没有待同步的操作。",
    reload: "刷新"
  };

  // --- the device's queue (IndexedDB) ---------------------------------------------------------

  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore(STORE, { keyPath: "client_operation_id" });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function withStore(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(STORE, mode);
        var result = work(transaction.objectStore(STORE));
        transaction.oncomplete = function () { db.close(); resolve(result && "result" in result ? result.result : undefined); };
        transaction.onerror = function () { db.close(); reject(transaction.error); };
      });
    });
  }

  function mine() {
    if (!("indexedDB" in window)) return Promise.resolve([]);
    return withStore("readonly", function (store) { return store.getAll(); }).then(function (all) {
      return (all || []).filter(function (op) { return op.user === user; })
        .sort(function (a, b) { return a.saved - b.saved; });
    });
  }

  function keep(op) { return withStore("readwrite", function (store) { store.put(op); }); }
  function drop(id) { return withStore("readwrite", function (store) { store.delete(id); }); }

  // --- an operation from a form -----------------------------------------------------------------

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function pad(n, width) { return String(n).padStart(width || 2, "0"); }

  // Now on the device's clock, with its UTC offset: 2025-11-03T11:02:40.123+08:00.
  function deviceNow() {
    var d = new Date();
    var offset = -d.getTimezoneOffset();
    var sign = offset >= 0 ? "+" : "-";
    offset = Math.abs(offset);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" + pad(d.getHours()) + ":" +
      pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + "." + pad(d.getMilliseconds(), 3) + sign +
      pad(Math.floor(offset / 60)) + ":" + pad(offset % 60);
  }

  // The form's fields as JSON. A list: a multiple select, checkboxes that carry values (e.g. the
  // certificates checked, also when only one is offered or none is ticked), and any repeated name;
  // a lone yes/no checkbox (value "on") stays one value.
  function fields(form, submitter) {
    var listed = {};
    Array.prototype.forEach.call(form.elements, function (element) {
      if (!element.name) return;
      if (element.multiple || (element.type === "checkbox" && element.value !== "on")) listed[element.name] = true;
    });
    var data;
    try { data = new FormData(form, submitter || null); } catch (e) { data = new FormData(form); }
    var out = {};
    Object.keys(listed).forEach(function (name) { out[name] = []; });
    data.forEach(function (value, name) {
      if (name === "csrf_token" || typeof value !== "string") return;
      if (Array.isArray(out[name])) out[name].push(value);
      else if (name in out) out[name] = [out[name], value];
      else out[name] = value;
    });
    return out;
  }

  function queue(form, submitter) {
    var op = { client_operation_id: uuid(), kind: form.getAttribute("data-offline"), body: fields(form, submitter),
               device_occurred_at: deviceNow(), user: user, saved: Date.now() };
    var meal = form.getAttribute("data-meal-id");
    if (meal) op.meal_id = Number(meal);
    return keep(op).then(mine).then(function (ops) {
      say(form, T.queued(ops.length), "notice");
      form.reset();
      showWaiting(ops);
    });
  }

  // --- what the page says -------------------------------------------------------------------------

  function say(near, text, kind, link) {
    var id = near === document ? "sync-status" : "offline-status";
    var box = document.getElementById(id);
    if (!box) {
      box = document.createElement("p");
      box.id = id;
      box.setAttribute("role", "status");
      box.setAttribute("aria-live", "polite");
      if (near === document) {
        var main = document.querySelector("main");
        if (!main) return;
        main.insertBefore(box, main.firstChild);
      } else {
        near.parentNode.insertBefore(box, near);
      }
    }
    box.className = kind + " sync-status";
    box.textContent = text + " ";
    if (link) {
      var a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      box.appendChild(a);
    }
  }

  // The "waiting on this device" list of /canteen/sync.
  function showWaiting(ops) {
    var section = document.querySelector("[data-sync-pending]");
    if (!section) return;
    var status = section.querySelector("[data-sync-pending-status]");
    var list = section.querySelector("[data-sync-pending-list]");
    var button = section.querySelector("[data-sync-now]");
    list.textContent = "";
    ops.forEach(function (op) {
      var item = document.createElement("li");
      item.className = "card";
      var parts = [op.kind, op.device_occurred_at.slice(0, 16).replace("T", " ")];
      if (op.body.quantity) parts.push(op.body.quantity + (op.body.unit ? " " + op.body.unit : ""));
      if (op.body.accepted_quantity) parts.push(op.body.accepted_quantity + (op.body.unit ? " " + op.body.unit : ""));
      if (op.body.lot_code) parts.push(op.body.lot_code);
      if (op.body.dish) parts.push(op.body.dish);
      item.textContent = parts.join(" · ");
      list.appendChild(item);
    });
    if (status) status.textContent = ops.length ? T.waiting(ops.length) : T.none;
    if (button) button.hidden = !ops.length;
  }

  // --- sending the queue --------------------------------------------------------------------------

  function post(ops) {
    return fetch(SYNC_URL, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRF-Token": csrfMeta ? csrfMeta.content : "" },
      body: JSON.stringify({ operations: ops.map(function (op) {
        var sent = { client_operation_id: op.client_operation_id, kind: op.kind, body: op.body,
                     device_occurred_at: op.device_occurred_at };
        if (op.meal_id) sent.meal_id = op.meal_id;
        return sent;
      }) })
    });
  }

  function sync() {
    if (syncing || !user || !navigator.onLine || !("indexedDB" in window)) return Promise.resolve();
    syncing = true;
    var sent = 0;
    var refused = 0;
    var checks = [];  // receiving checks opened on sync: a second staff member confirms them online
    function next() {
      return mine().then(function (ops) {
        if (!ops.length) return null;
        return post(ops.slice(0, BATCH)).then(function (response) {
          if (response.status === 401) { say(document, T.signIn, "alert", { href: "/signin?next=" + encodeURIComponent(location.pathname), text: english ? "Sign in" : "登录" }); return null; }
          if (!response.ok) { say(document, T.failed, "alert"); return null; }
          return response.json().then(function (answer) {
            return answer.results.reduce(function (done, result) {
              sent += 1;
              if (result.status === "refused") refused += 1;
              else if (result.record && result.record.type === "receipt_check") checks.push(result.record.id);
              return done.then(function () { return drop(result.client_operation_id); });
            }, Promise.resolve()).then(function () { return ops.length > BATCH ? next() : null; });
          });
        });
      });
    }
    return next().catch(function () {
      // the network went again: everything not answered stays on the device
    }).then(function () {
      syncing = false;
      if (sent) {
        var text = T.synced(sent) + (refused ? " " + T.refused(refused) : "") + (checks.length ? " " + T.checks(checks.length) : "");
        var link = refused ? { href: "/canteen/sync", text: english ? "Sync" : "同步" }
          : checks.length ? { href: checks.length === 1 ? "/canteen/receipt-checks/" + checks[0] : "/canteen/receive", text: T.check }
          : { href: location.href, text: T.reload };
        say(document, text, refused ? "alert" : "notice", link);
      }
      return mine().then(showWaiting);
    });
  }

  // --- forms ----------------------------------------------------------------------------------

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    if (form.hasAttribute("data-signout")) {
      event.preventDefault();
      forget().then(function () { form.submit(); }, function () { form.submit(); });
      return;
    }
    if (!form.hasAttribute("data-offline") || !user) return;
    event.preventDefault();
    if (form.getAttribute("data-busy")) return;
    var submitter = event.submitter;
    if (!navigator.onLine) { queue(form, submitter); return; }
    form.setAttribute("data-busy", "1");
    var data;
    try { data = new FormData(form, submitter || null); } catch (e) { data = new FormData(form); }
    fetch(form.action, { method: "POST", credentials: "same-origin", body: new URLSearchParams(data) })
      .then(function (response) {
        if (response.redirected) { location.assign(response.url); return; }
        // The form came back with a message: show that page as the browser would have.
        return response.text().then(function (html) { document.open(); document.write(html); document.close(); });
      }, function () {
        form.removeAttribute("data-busy");
        return queue(form, submitter);
      });
  });

  // --- the service worker and the pages it keeps --------------------------------------------------

  function forget() {
    try { localStorage.removeItem("trace-kept-by"); localStorage.removeItem("trace-kept-at"); } catch (e) { /* private mode */ }
    var jobs = [];
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage({ type: "forget" });
    }
    if (window.caches) jobs.push(caches.delete("trace-pages"));
    return Promise.all(jobs);
  }

  function keepMenuPages(registration) {
    var worker = registration.active;
    if (!worker || !navigator.onLine) return;
    var last = Number(localStorage.getItem("trace-kept-at") || 0);
    if (Date.now() - last < KEEP_EVERY_MS) return;
    localStorage.setItem("trace-kept-at", String(Date.now()));
    var urls = Array.prototype.map.call(document.querySelectorAll("nav.roles a[href^='/canteen/']"),
                                        function (a) { return a.getAttribute("href"); });
    urls.push("/canteen/sync");
    worker.postMessage({ type: "keep", urls: urls });
  }

  function start() {
    var keptBy = "";
    try { keptBy = localStorage.getItem("trace-kept-by") || ""; } catch (e) { /* private mode */ }
    // Nobody signed in, or somebody else: the pages kept on this device are not theirs.
    if (!user || (keptBy && keptBy !== user)) forget();
    if (!user) return;
    try { localStorage.setItem("trace-kept-by", user); } catch (e) { /* private mode */ }
    if (role === "canteen_staff" && "serviceWorker" in navigator && window.isSecureContext) {
      navigator.serviceWorker.register("/sw.js").then(function () {
        return navigator.serviceWorker.ready;
      }).then(keepMenuPages).catch(function () { /* pages still work online */ });
    }
    window.addEventListener("online", sync);
    var syncNow = document.querySelector("[data-sync-now]");
    if (syncNow) syncNow.addEventListener("click", sync);
    mine().then(function (ops) {
      showWaiting(ops);
      if (ops.length && !navigator.onLine) say(document, T.waiting(ops.length), "notice");
    }).catch(function () { /* no IndexedDB: nothing was queued */ });
    sync();
  }

  // For the browser tests (and a console): what is waiting on this device, and send it now.
  window.traceOffline = { waiting: mine, sync: sync };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
}());
