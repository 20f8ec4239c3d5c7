// On a phone the saved views' tabs scroll sideways in one row: bring the open view's tab into sight when the
// page loads and after htmx swaps the results, so a view far along the row isn't hidden off-screen.
(function () {
  "use strict";

  function showCurrent() {
    var tab = document.querySelector('.view-tabs [aria-selected="true"]');
    if (tab) tab.scrollIntoView({block: "nearest", inline: "nearest"});
  }

  document.addEventListener("DOMContentLoaded", showCurrent);
  document.addEventListener("htmx:afterSettle", showCurrent);
})();
