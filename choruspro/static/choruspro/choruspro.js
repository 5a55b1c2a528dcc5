// Chorus Pro staff pages: a batch of invoices being sent updates itself until every invoice
// has its outcome, then the page reloads. External file, no inline script (Content-Security-Policy).
(function () {
  "use strict";
  var box = document.querySelector("[data-chorus-batch]");
  if (!box || box.getAttribute("data-pending") !== "true") { return; }
  var url = box.getAttribute("data-status-url");
  var deadline = Date.now() + 30 * 60 * 1000;
  var timer = window.setInterval(function () {
    if (Date.now() > deadline) { window.clearInterval(timer); return; }
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (status) {
        if (!status) { return; }
        Object.keys(status.invoices).forEach(function (id) {
          var badge = box.querySelector('[data-invoice-status="' + id + '"]');
          if (badge) { badge.textContent = status.invoices[id].label; }
        });
        if (!status.pending) { window.clearInterval(timer); window.location.reload(); }
      })
      .catch(function () { /* try again at the next tick */ });
  }, 1500);
})();
