// Import customers: refuse a file over the size limit before uploading it (the server refuses it too, but
// only after the browser has sent it all), and show that the upload is under way.
(function () {
  "use strict";
  var form = document.querySelector("[data-import-upload]");
  if (!form) return;
  var input = form.querySelector("input[type=file][data-max-bytes]");
  form.addEventListener("submit", function (evt) {
    var file = input && input.files && input.files[0];
    var old = form.querySelector(".client-error");
    if (old) old.remove();
    if (file && file.size > Number(input.getAttribute("data-max-bytes"))) {
      evt.preventDefault();
      var message = document.createElement("p");
      message.className = "error client-error";
      message.id = input.id + "-client-error";
      message.textContent = input.getAttribute("data-too-big");
      input.insertAdjacentElement("afterend", message);
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", message.id);
      input.focus();
      return;
    }
    var button = form.querySelector("button[type=submit]");
    if (button) {
      button.classList.add("busy");
      button.setAttribute("data-label", button.textContent);
      button.textContent = crmWord("Uploading…");
    }
  });
  // Back from the next page (the browser's page cache): the button reads as before.
  window.addEventListener("pageshow", function () {
    var button = form.querySelector("button[data-label]");
    if (button) {
      button.classList.remove("busy");
      button.textContent = button.getAttribute("data-label");
      button.removeAttribute("data-label");
    }
  });
})();
