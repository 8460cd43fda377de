// Poll builder: show the options box only for choice questions and the scale size only for scales.
// Without JavaScript every field simply stays visible (the server validates either way).
(function () {
  "use strict";
  document.querySelectorAll("form[data-poll-builder]").forEach(function (form) {
    var type = form.querySelector("select[name=type]");
    if (!type) return;
    function sync() {
      form.querySelectorAll("[data-show-for]").forEach(function (box) {
        box.hidden = box.getAttribute("data-show-for").split(" ").indexOf(type.value) === -1;
      });
    }
    type.addEventListener("change", sync);
    sync();
  });
})();
