// The account's debt list follows each debt's status, so that a debt paid in the pop-up shows
// "Paiement CB par Internet en cours de validation" (or "Paiement par prélèvement…" for a debit) and can no longer be selected, without a reload.
(function () {
  "use strict";
  var list = document.querySelector("[data-debt-list]");
  if (!list) { return; }
  var url = list.getAttribute("data-states-url");
  var deadline = Date.now() + 30 * 60 * 1000;

  function apply(states) {
    list.querySelectorAll("tr[data-debt-id]").forEach(function (row) {
      var state = states[row.getAttribute("data-debt-id")];
      if (!state) { return; }
      var cell = row.querySelector(".debt-status");
      if (cell.textContent !== state.label) { cell.textContent = state.label; }
      cell.className = "debt-status status-" + state.code;
      var pay = row.querySelector(".debt-action a");
      if (pay) { pay.hidden = !state.payable; }
    });
  }

  function poll() {
    if (Date.now() > deadline || document.hidden) { return; }
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { apply(data.debts); } })
      .catch(function () { /* try again on the next tick */ });
  }
  window.setInterval(poll, 1000);
})();
