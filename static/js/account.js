// The account's debt list follows each debt's status, so that a debt paid in the pop-up shows
// "Paiement CB par Internet en cours de validation" (or "Paiement par prélèvement…" for a debit) and can no longer be selected, without a reload.
// A change is read out (the aria-live line); the totals follow. "Imprimer" prints the page.
(function () {
  "use strict";
  var print = document.querySelector("[data-print]");
  if (print) {
    print.hidden = false;
    print.addEventListener("click", function () { window.print(); });
  }
  var list = document.querySelector("[data-debt-list]");
  if (!list) { return; }
  var url = list.getAttribute("data-states-url");
  var announce = list.querySelector("[data-debt-announce]");
  var deadline = Date.now() + 30 * 60 * 1000;

  function apply(data) {
    var changes = [];
    list.querySelectorAll("tr[data-debt-id]").forEach(function (row) {
      var state = data.debts[row.getAttribute("data-debt-id")];
      if (!state) { return; }
      var cell = row.querySelector(".debt-status");
      if (cell.textContent !== state.label) {
        cell.textContent = state.label;
        changes.push(row.querySelector(".debt-reference").textContent + " : " + state.label);
      }
      cell.className = "debt-status status-" + state.code;
      var outstanding = row.querySelector(".debt-outstanding");
      if (outstanding && outstanding.textContent !== state.outstanding) { outstanding.textContent = state.outstanding; }
      var pay = row.querySelector(".debt-action a");
      if (pay) { pay.hidden = !state.payable; }
    });
    Object.keys(data.totals || {}).forEach(function (name) {
      var total = list.querySelector("[data-total='" + name + "']");
      if (total && total.textContent !== data.totals[name]) { total.textContent = data.totals[name]; }
    });
    if (changes.length && announce) { announce.textContent = "Facture " + changes.join(" ; facture "); }
  }

  function poll() {
    if (Date.now() > deadline || document.hidden) { return; }
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { apply(data); } })
      .catch(function () { /* try again on the next tick */ });
  }
  window.setInterval(poll, 1000);
})();
