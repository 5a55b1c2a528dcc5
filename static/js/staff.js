// Staff pages: follows an import's progress (the page reloads with its report once it is
// over), asks before a confirmation form is sent, and sets the upload's file format to
// the chosen client's protocol. External file, no inline script (Content-Security-Policy).
(function () {
  "use strict";

  // --- Progress of an import batch -------------------------------------------------
  var box = document.querySelector("[data-import-batch]");
  if (box && box.getAttribute("data-finished") !== "true") {
    var statusUrl = box.getAttribute("data-status-url");
    var bar = document.getElementById("import-progress");
    var text = document.getElementById("import-progress-text");
    var live = document.getElementById("batch-percent-live");
    var stateEl = document.getElementById("batch-state");
    var phaseEl = document.getElementById("batch-phase");
    var spokenStep = -1;
    var timer = null;
    var deadline = Date.now() + 6 * 60 * 60 * 1000; // a very large file takes a while; not forever

    var render = function (status) {
      var percent = status.percent + " %";
      bar.value = status.percent;
      bar.textContent = percent;
      text.textContent = percent;
      // Screen readers hear the state, the phase and every tenth, not each tick.
      var step = Math.floor(status.percent / 10);
      if (step !== spokenStep) { live.textContent = percent; spokenStep = step; }
      stateEl.textContent = status.state_label;
      stateEl.className = "badge badge--" + status.state;
      phaseEl.textContent = status.phase;
      Object.keys(status.counts).forEach(function (name) {
        var cell = box.querySelector('[data-count="' + name + '"]');
        if (cell) { cell.textContent = status.counts[name].toLocaleString("fr-FR"); }
      });
      if (status.finished) {
        window.clearInterval(timer);
        window.location.reload(); // the page then shows the report
      }
    };

    var poll = function () {
      if (Date.now() > deadline) { window.clearInterval(timer); return; }
      fetch(statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          var type = response.headers.get("Content-Type") || "";
          return response.ok && type.indexOf("application/json") === 0 ? response.json() : null;
        })
        .then(function (status) { if (status) { render(status); } })
        .catch(function () { /* network hiccup: the next tick tries again */ });
    };

    timer = window.setInterval(poll, 1000);
  }

  // --- Confirmation before a form that commits something -----------------------------
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });

  // --- Upload form: the client's protocol gives the file format ------------------------
  var upload = document.querySelector("form[data-import-form]");
  if (upload) {
    var client = upload.querySelector("select[name=client]");
    var format = upload.querySelector("select[name=fmt]");
    if (client && format) {
      client.addEventListener("change", function () {
        var option = client.options[client.selectedIndex];
        var fmt = option && option.getAttribute("data-format");
        if (fmt) { format.value = fmt; }
      });
    }
  }
})();
