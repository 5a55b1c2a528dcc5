// "Fermer la fenêtre", as on TIPI's pages.
(function () {
  "use strict";
  document.querySelectorAll("[data-close-window]").forEach(function (button) {
    button.addEventListener("click", function () { window.close(); });
  });
})();
