// Settings page: confirm before revoking an API token (without JavaScript a revoke goes through without
// the question; copying a new token is copy.js).
(function () {
  "use strict";

  document.addEventListener("submit", function (evt) {
    var question = evt.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) evt.preventDefault();
  });
})();
