// Settings page: copy a new API token, and confirm before revoking one. Without JavaScript the token can
// still be selected and copied by hand, and a revoke goes through without the question.
(function () {
  "use strict";

  function copyFrom(button) {
    var field = document.querySelector(button.getAttribute("data-copy"));
    if (!field) return;
    var status = button.parentElement.querySelector(".copied");
    function done(ok) { if (status) status.textContent = ok ? "Copied" : "Select the token and copy it"; }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(function () { done(true); }, function () { done(false); });
    } else {
      // Plain-http installations have no clipboard API: select the text and use the older command.
      field.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      done(ok);
    }
  }

  document.addEventListener("click", function (evt) {
    var button = evt.target.closest("[data-copy]");
    if (button) copyFrom(button);
  });

  document.addEventListener("submit", function (evt) {
    var question = evt.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) evt.preventDefault();
  });
})();
