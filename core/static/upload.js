// Upload page: drag and drop onto the zone, then send the file with XMLHttpRequest to show upload progress.
// Without JavaScript the same form posts normally and the server redirects to the submission page.
(function () {
  "use strict";
  var form = document.querySelector("form[data-upload]");
  if (!form || !window.FormData || !window.XMLHttpRequest) return;
  var input = form.querySelector("input[type=file]");
  var zone = form.querySelector("[data-dropzone]");
  var chosen = form.querySelector("[data-chosen]");
  var status = form.querySelector("[data-upload-status]");
  var progressBox = form.querySelector("[data-progress]");
  var bar = progressBox.querySelector("progress");
  var button = form.querySelector("[data-upload-button]");
  var maxBytes = Number(form.getAttribute("data-max-bytes"));
  var maxMb = form.getAttribute("data-max-mb");
  var meta = document.querySelector('meta[name="csrf-token"]');
  var token = meta ? meta.getAttribute("content") : "";

  function size(bytes) {
    if (bytes < 1024) return bytes + " bytes";
    if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(1) + " KB";
    return (bytes / 1024 / 1024).toFixed(1) + " MB";
  }

  function say(text, isError) {
    status.textContent = text;
    status.classList.toggle("error", Boolean(isError));
  }

  function showChosen() {
    var file = input.files && input.files[0];
    chosen.textContent = file ? file.name + " (" + size(file.size) + ")" : "";
    zone.classList.toggle("has-file", Boolean(file));
    say("");
  }

  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) {
      event.preventDefault();
      zone.classList.add("dragging");
    });
  });
  ["dragleave", "dragend", "drop"].forEach(function (name) {
    zone.addEventListener(name, function () { zone.classList.remove("dragging"); });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    var files = event.dataTransfer && event.dataTransfer.files;
    if (!files || !files.length) return;
    if (files.length > 1) { say("Drop one file at a time.", true); return; }
    input.files = files;
    showChosen();
  });
  input.addEventListener("change", showChosen);

  function finish(message) {
    button.disabled = false;
    progressBox.hidden = true;
    say(message, true);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var file = input.files && input.files[0];
    if (!file) { say("Choose a file to upload.", true); input.focus(); return; }
    if (file.size === 0) { say("The file is empty.", true); return; }
    if (maxBytes && file.size > maxBytes) {
      say("The file is larger than the upload limit of " + maxMb + " MB. Split it by period and upload the parts.", true);
      return;
    }
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-CSRFToken", token);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) return;
      var pct = Math.round((e.loaded / e.total) * 100);
      bar.value = pct;
      say("Uploading… " + pct + "%");
    });
    xhr.addEventListener("load", function () {
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (ignored) { body = null; }
      if (xhr.status === 202 && body && body.url) {
        bar.value = 100;
        say("Uploaded. Checking the file…");
        window.location.assign(body.url);
        return;
      }
      var message = body && body.error && body.error.message;
      finish(message || "The upload failed (HTTP " + xhr.status + "). Try again.");
    });
    xhr.addEventListener("error", function () { finish("The upload did not reach the server. Check your connection and try again."); });
    button.disabled = true;
    progressBox.hidden = false;
    bar.value = 0;
    say("Uploading… 0%");
    xhr.send(new FormData(form));
  });
})();
