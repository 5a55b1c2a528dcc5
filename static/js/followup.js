// Money follow-up pages: a "Tout cocher" button for the reconciliation of debts in progress.
// External file, no inline script (Content-Security-Policy); without it the boxes are ticked one by one.
(function () {
  "use strict";
  var form = document.querySelector("form[data-bulk-reconcile]");
  if (!form) { return; }
  var button = form.querySelector("[data-check-all]");
  var boxes = form.querySelectorAll("input[type=checkbox][name=debts]");
  if (!button || !boxes.length) { return; }
  var update = function () {
    var all = Array.prototype.every.call(boxes, function (box) { return box.checked; });
    button.textContent = all ? "Tout décocher" : "Tout cocher";
  };
  button.hidden = false;
  button.addEventListener("click", function () {
    var all = Array.prototype.every.call(boxes, function (box) { return box.checked; });
    Array.prototype.forEach.call(boxes, function (box) { box.checked = !all; });
    update();
  });
  Array.prototype.forEach.call(boxes, function (box) { box.addEventListener("change", update); });
  update();
})();
