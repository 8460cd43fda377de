// Report page: poll the rendering status every 800 ms and move the progress bar; reload once it is final.
(function () {
  "use strict";
  var box = document.querySelector("[data-report][data-status-url]");
  if (!box) return;
  var url = box.getAttribute("data-status-url");
  var bar = box.querySelector("[data-status-progress]");
  var percent = box.querySelector("[data-status-percent]");
  var pill = box.querySelector("[data-status-text]");
  var message = box.querySelector("[data-status-message]");
  var DELAY = 800, RETRY = 5000;

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (body) {
        if (body.final) { window.location.reload(); return; }
        var pct = Math.round((body.progress || 0) * 100);
        bar.value = pct;
        percent.textContent = pct + "%";
        pill.textContent = body.status;
        pill.className = "status-pill " + body.status;
        message.textContent = (body.message || "Rendering") + ": this page updates by itself.";
        window.setTimeout(poll, DELAY);
      })
      .catch(function () { window.setTimeout(poll, RETRY); });
  }
  window.setTimeout(poll, DELAY);
})();
