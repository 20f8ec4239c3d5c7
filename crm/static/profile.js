// The profile's confirmation dialogs: the buttons are real GET forms to a confirmation page, so they work
// without JavaScript; with it, they open the same content in a modal <dialog> instead.
(function () {
  "use strict";
  document.addEventListener("click", function (evt) {
    var opener = evt.target.closest("[data-open-dialog]");
    if (!opener) return;
    var dialog = document.getElementById(opener.getAttribute("data-open-dialog"));
    if (!dialog || typeof dialog.showModal !== "function") return;  // old browser: follow the form
    evt.preventDefault();
    dialog.showModal();
    var cancel = dialog.querySelector('button[value="cancel"]');
    if (cancel) cancel.focus();  // the safe choice has the focus
  });
})();
