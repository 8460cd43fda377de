// Submission page: poll the status every 700 ms while the file is checked, then reload to show the result.
(function () {
  "use strict";
  var box = document.querySelector("[data-submission][data-status-url]");
  if (!box) return;
  var url = box.getAttribute("data-status-url");
  var bar = box.querySelector("[data-status-progress]");
  var percent = box.querySelector("[data-status-percent]");
  var pill = box.querySelector("[data-status-text]");
  var message = box.querySelector("[data-status-message]");
  var FAILED_DELAY = 5000, DELAY = 700;

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
        if (body.status === "failed") {
          message.textContent = "Processing failed on our side (not because of your file); it will be retried.";
          window.setTimeout(poll, FAILED_DELAY);
        } else {
          window.setTimeout(poll, DELAY);
        }
      })
      .catch(function () { window.setTimeout(poll, FAILED_DELAY); });
  }
  window.setTimeout(poll, DELAY);
})();
