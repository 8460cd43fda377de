// Pages of work in progress (an upload being checked, a report being rendered): poll the element's
// data-status-url while the work runs, move its progress bar, and reload once the result is final.
(function () {
  "use strict";
  var box = document.querySelector("[data-status-url]");
  if (!box) return;
  var url = box.getAttribute("data-status-url");
  var failedText = box.getAttribute("data-failed-message") || "Something failed on our side; it will be retried.";
  var bar = box.querySelector("[data-status-progress]");
  var percent = box.querySelector("[data-status-percent]");
  var pill = box.querySelector("[data-status-text]");
  var message = box.querySelector("[data-status-message]");
  var DELAY = 700, FAILED_DELAY = 5000;

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (body) {
        if (body.final) { window.location.reload(); return; }
        var pct = Math.round((body.progress || 0) * 100);
        if (bar) bar.value = pct;
        if (percent) percent.textContent = pct + "%";
        if (pill) { pill.textContent = body.status; pill.className = "status-pill " + body.status; }
        var failed = body.status === "failed";
        if (message && (failed || body.message)) {
          message.textContent = failed ? failedText : body.message + ": this page updates by itself.";
        }
        window.setTimeout(poll, failed ? FAILED_DELAY : DELAY);
      })
      .catch(function () { window.setTimeout(poll, FAILED_DELAY); });
  }
  window.setTimeout(poll, DELAY);
})();
