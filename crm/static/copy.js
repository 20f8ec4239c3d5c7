// Copy buttons: <button data-copy="#field"> copies that field's value and says so in the .copied status
// next to it. Without the clipboard API (plain-http installations) the text is selected for copying by hand.
(function () {
  "use strict";

  function copyFrom(button) {
    var field = document.querySelector(button.getAttribute("data-copy"));
    if (!field) return;
    var status = button.parentElement.querySelector(".copied");
    function done(ok) { if (status) status.textContent = crmWord(ok ? "Copied" : "Select the text and copy it"); }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(function () { done(true); }, function () { done(false); });
    } else {
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
})();
