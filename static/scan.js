/* Scanning a label's QR code with the phone's camera, for every input[data-scan] (issue 12 §1).
 *
 * A 扫码 button beside the input opens the rear camera. Frames are decoded with the
 * browser's BarcodeDetector where it reads QR codes, else with the vendored jsQR
 * (static/vendor/jsqr-1.4.0, loaded only then). The text read fills the input as it is — a
 * GS1 Digital Link URL whole, the server's lookup parses it — and submits the input's form.
 * A USB scanner gun types into the input and ends with Enter: that is ordinary keyboard input
 * and an ordinary submit, and nothing here listens to keys.
 */
(function () {
  "use strict";

  var JSQR = "/static/vendor/jsqr-1.4.0/jsQR.js";
  var english = document.documentElement.lang === "en";
  var T = english ? {
    scan: "Scan", close: "Close", aim: "Point the camera at the QR code on the label",
    refused: "The camera may not be used: allow it in the browser's settings, or use a scanner gun or type the lot code.",
    missing: "No camera was found: use a scanner gun or type the lot code.",
    failed: "The camera could not be started: use a scanner gun or type the lot code.",
    insecure: "The camera works only over HTTPS: use a scanner gun or type the lot code."
  } : {
    scan: "扫码", close: "关闭", aim: "将摄像头对准标签上的二维码",
    refused: "没有得到使用摄像头的许可：请在浏览器设置中允许，或用扫码枪、手动输入批号。",
    missing: "没有找到摄像头：请用扫码枪或手动输入批号。",
    failed: "摄像头无法打开：请用扫码枪或手动输入批号。",
    insecure: "只有在 HTTPS 连接下才能使用摄像头：请用扫码枪或手动输入批号。"
  };
  var loading = null;

  function loadJsQR() {
    if (window.jsQR) return Promise.resolve(window.jsQR);
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = JSQR;
        script.onload = function () { resolve(window.jsQR); };
        script.onerror = function () { loading = null; reject(new Error("jsQR not loaded")); };
        document.head.appendChild(script);
      });
    }
    return loading;
  }

  // A decoder for video frames or images: source → Promise of the text, or null.
  function nativeDecoder() {
    if (!("BarcodeDetector" in window)) return Promise.resolve(null);
    return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      if (formats.indexOf("qr_code") < 0) return null;
      var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      return function (source) {
        return detector.detect(source).then(function (codes) { return codes.length ? codes[0].rawValue : null; });
      };
    }).catch(function () { return null; });
  }

  function vendoredDecoder() {
    return loadJsQR().then(function (jsQR) {
      var canvas = document.createElement("canvas");
      var context = canvas.getContext("2d", { willReadFrequently: true });
      return function (source) {
        var width = source.videoWidth || source.naturalWidth || source.width;
        var height = source.videoHeight || source.naturalHeight || source.height;
        if (!width || !height) return Promise.resolve(null);
        var scale = Math.min(1, 960 / Math.max(width, height));  // enough for a label; quick on a phone
        canvas.width = Math.round(width * scale);
        canvas.height = Math.round(height * scale);
        context.drawImage(source, 0, 0, canvas.width, canvas.height);
        var image = context.getImageData(0, 0, canvas.width, canvas.height);
        var code = jsQR(image.data, canvas.width, canvas.height, { inversionAttempts: "attemptBoth" });
        return Promise.resolve(code ? code.data : null);
      };
    });
  }

  function decoder(options) {
    if (options && options.vendored) return vendoredDecoder();
    return nativeDecoder().then(function (native) { return native || vendoredDecoder(); });
  }

  function message(input, text) {
    var box = input.parentNode.querySelector(".scan-message");
    if (!box) {
      box = document.createElement("p");
      box.className = "alert scan-message";
      box.setAttribute("role", "alert");
      input.parentNode.insertBefore(box, input.nextSibling);
    }
    box.textContent = text;
  }

  function fill(input, text) {
    input.value = text.trim();
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.dispatchEvent(new Event("change", { bubbles: true }));
    var form = input.form;
    if (!form) return;
    if (form.requestSubmit) form.requestSubmit();
    else form.submit();
  }

  function open(input, button) {
    if (!window.isSecureContext) { message(input, T.insecure); return; }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { message(input, T.missing); return; }
    var panel = document.createElement("div");
    panel.className = "scan-panel";
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", T.scan);
    var video = document.createElement("video");
    video.setAttribute("playsinline", "");
    video.muted = true;
    var hint = document.createElement("p");
    hint.className = "hint";
    hint.textContent = T.aim;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "secondary scan-close";
    close.textContent = T.close;
    panel.appendChild(video);
    panel.appendChild(hint);
    panel.appendChild(close);
    button.parentNode.insertBefore(panel, button.nextSibling);
    button.disabled = true;
    var stream = null;
    var running = true;

    function stop() {
      running = false;
      if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
      if (panel.parentNode) panel.parentNode.removeChild(panel);
      button.disabled = false;
    }
    close.addEventListener("click", function () { stop(); input.focus(); });

    navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: "environment" } }, audio: false })
      .then(function (got) {
        stream = got;
        if (!running) { stop(); return null; }
        video.srcObject = stream;
        return Promise.all([video.play(), decoder()]);
      })
      .then(function (ready) {
        if (!ready) return;
        var decode = ready[1];
        (function frame() {
          if (!running) return;
          var attempt = video.readyState >= 2 ? decode(video) : Promise.resolve(null);
          attempt.catch(function () { return null; }).then(function (text) {
            if (!running) return;
            if (text) { stop(); fill(input, text); return; }
            setTimeout(frame, 150);
          });
        }());
      })
      .catch(function (error) {
        stop();
        var name = error && error.name;
        if (name === "NotAllowedError" || name === "SecurityError") message(input, T.refused);
        else if (name === "NotFoundError" || name === "OverconstrainedError" || name === "NotReadableError") message(input, T.missing);
        else message(input, T.failed);
      });
  }

  function enhance(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll("input[data-scan]"), function (input) {
      if (input.hasAttribute("data-scan-ready")) return;
      input.setAttribute("data-scan-ready", "");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "secondary scan-button";
      button.textContent = T.scan;
      button.addEventListener("click", function () { open(input, button); });
      input.parentNode.insertBefore(button, input.nextSibling);
    });
  }

  // For the browser tests (and a console): decode an <img> or <canvas> with this browser's decoder.
  window.traceScan = {
    enhance: enhance,
    decode: function (source, options) { return decoder(options).then(function (decode) { return decode(source); }); }
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { enhance(); });
  else enhance();
}());
