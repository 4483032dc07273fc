/* Receiving at the door without a network (issue 12 §6), on /canteen/receive.
 *
 * The page carries, hidden, today's expected deliveries of the school, each with its check form
 * (section[data-lot][data-gtin] inside section[data-door]); the service worker keeps the page.
 * Online, a scan or a typed code goes to the server as before (?code=…). Offline — the phone
 * says so, or the page is the worker's copy (it shows [data-offline-banner]) — the code is read
 * here as the server reads it (canteens.receipt_checks._lot_key: a lot code, a GS1 Digital Link
 * URL …/01/{GTIN}/10/{lot}, or the element string (01)GTIN(10)LOT printed under a barcode) and
 * opens the matching delivery's form; static/offline.js queues its submit as a receipt-check.
 * A code matching none says so (#door-missing). Without JavaScript nothing here runs and the page
 * works online as a plain form.
 */
(function () {
  "use strict";

  var scan = document.querySelector("form.scan");
  var missing = document.getElementById("door-missing");
  var door = document.querySelector("[data-door]");
  if (!scan || !missing) return;
  var input = scan.querySelector("input[name=code]");

  function offline() {
    return !navigator.onLine || document.querySelector("[data-offline-banner]") !== null;
  }

  function gtin14(digits) {
    return digits.length < 14 ? ("00000000000000" + digits).slice(-14) : digits;
  }

  // What a code names: { gtin: GTIN-14 or null, lot }, or null when it is no lot code at all.
  function lotKey(text) {
    var code = (text || "").trim();
    if (!code) return null;
    if (code.indexOf("/01/") >= 0) {
      var segments;
      var lot;
      try {
        segments = new URL(code, location.origin).pathname.split("/").filter(Boolean);
        lot = decodeURIComponent(segments[segments.length - 1] || "");
      } catch (e) { return null; }
      var n = segments.length;
      if (n < 4 || segments[n - 4] !== "01" || segments[n - 2] !== "10" || !/^\d{8,14}$/.test(segments[n - 3])) return null;
      return { gtin: gtin14(segments[n - 3]), lot: lot };
    }
    var element = /^\(01\)(\d{8,14})\(10\)([^()]{1,20})/.exec(code);
    if (element) return { gtin: gtin14(element[1]), lot: element[2] };
    if (code.length > 20) return null;
    return { gtin: null, lot: code };
  }

  function sections() {
    return door ? Array.prototype.slice.call(door.querySelectorAll("section[data-lot]")) : [];
  }

  function matches(section, key) {
    var lot = section.getAttribute("data-lot");
    if (key.gtin) return section.getAttribute("data-gtin") === key.gtin && lot === key.lot;
    return lot === key.lot || lot === key.lot.toUpperCase();
  }

  function show(found) {
    var refusal = document.getElementById("refusal");
    if (refusal) refusal.hidden = true;
    sections().forEach(function (section) { section.hidden = found.indexOf(section) < 0; });
    missing.hidden = found.length > 0;
    if (door) door.hidden = !found.length;
    var first = found.length ? found[0] : missing;
    first.scrollIntoView({ block: "start" });
    return found.length > 0;
  }

  function open(code) {
    var key = lotKey(code);
    return show(key ? sections().filter(function (section) { return matches(section, key); }) : []);
  }

  function openShipment(id) {
    return show(sections().filter(function (section) { return section.getAttribute("data-shipment") === id; }));
  }

  // A scanner gun's Enter, the 查询 button, or scan.js's camera: read the code here when offline.
  scan.addEventListener("submit", function (event) {
    if (!offline()) return;
    event.preventDefault();
    open(input ? input.value : "");
  });

  // Today's list links to ?shipment=…: offline, the form is already on the page.
  document.addEventListener("click", function (event) {
    var link = event.target instanceof Element ? event.target.closest("a[href^='/canteen/receive?shipment=']") : null;
    if (!link || !offline()) return;
    event.preventDefault();
    openShipment(new URL(link.href).searchParams.get("shipment") || "");
  });

  // The worker's copy answering a lookup the server never saw (a network that looked up but was not).
  if (document.querySelector("[data-offline-banner]")) {
    var asked = new URLSearchParams(location.search);
    if (asked.get("code")) {
      if (input) input.value = asked.get("code");
      open(asked.get("code"));
    } else if (asked.get("shipment")) {
      openShipment(asked.get("shipment"));
    }
  }

  window.traceReceive = { lotKey: lotKey, open: open };
}());
