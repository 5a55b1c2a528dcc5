// Opens TIPI's page in a pop-up from the user's click and follows the attempt's status
// until TIPI's return has been processed, without reloading the page.
(function () {
  "use strict";
  var box = document.querySelector("[data-payment]");
  if (!box) { return; }
  var statusUrl = box.getAttribute("data-status-url");
  var statusLine = document.getElementById("payment-status");
  var payButton = document.getElementById("pay-button");
  var blocked = document.getElementById("popup-blocked");
  var timer = null;
  var deadline = 0;
  // Until the citizen clicks, the status line says what will happen, not "waiting".
  var clicked = false;

  function show(name, visible) {
    box.querySelectorAll('[data-when="' + name + '"]').forEach(function (el) { el.hidden = !visible; });
  }

  function render(status) {
    if (status.state !== "pending" || clicked) { statusLine.textContent = status.message; }
    statusLine.className = "status status--" + status.state;
    box.setAttribute("data-state", status.state);
    show("pending", !status.final);
    show("retry", status.retry);
    show("paid", status.state === "paid");
    if (status.final) { stop(); }
  }

  function poll() {
    if (Date.now() > deadline) { stop(); return; }
    fetch(statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (status) { if (status) { render(status); } })
      .catch(function () { /* network hiccup: the next tick tries again */ });
  }

  function start() {
    // The server says when it stops waiting (state given_up); this bound only ends a forgotten tab.
    deadline = Date.now() + 24 * 60 * 60 * 1000;
    if (!timer) { timer = window.setInterval(poll, 1000); }
  }

  function stop() {
    if (timer) { window.clearInterval(timer); timer = null; }
  }

  if (payButton) {
    payButton.addEventListener("click", function (event) {
      event.preventDefault();
      clicked = true;
      var features = "popup=yes,width=820,height=760,scrollbars=yes,resizable=yes";
      var popup = window.open(payButton.href, "tipi_paiement", features);
      if (popup) {
        popup.focus();
        blocked.hidden = true;
      } else {
        blocked.hidden = false;
        document.getElementById("fallback-link").focus();
      }
      start();
      poll();
    });
  }
  var fallback = document.getElementById("fallback-link");
  if (fallback) { fallback.addEventListener("click", function () { clicked = true; start(); }); }
  if (box.getAttribute("data-state") === "pending") { start(); }
})();
