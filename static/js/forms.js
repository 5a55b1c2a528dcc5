// A public form that came back with errors: the focus goes to the summary at the top (a screen
// reader reads it, a phone shows it), and each of its links puts the focus in its field.
(function () {
  "use strict";
  var summary = document.querySelector("[data-error-summary]");
  if (!summary) { return; }
  summary.focus();
  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    if (!link) { return; }
    var input = document.getElementById(link.getAttribute("href").slice(1));
    if (!input) { return; }
    event.preventDefault();
    var label = document.querySelector("label[for='" + input.id + "']");
    (label || input).scrollIntoView({ block: "start" });
    input.focus({ preventScroll: true });
  });
})();
