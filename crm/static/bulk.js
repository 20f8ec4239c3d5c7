// The customer list's selection: "N selected" kept live, the page's box ticking every row, "Select all N
// matching" offered once the whole page is ticked, and the bar of bulk actions shown only while something is
// selected. The list's results are swapped by htmx, so everything is found anew on each change, never kept.
// (Without JavaScript the bar is always shown and the form sends what is ticked as it is.)
(function () {
  "use strict";

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll('input[form="bulk-form"][name="id"]'));
  }

  function update() {
    var bar = document.getElementById("bulk-form");
    if (!bar) return;
    var boxes = rows();
    var ticked = boxes.filter(function (box) { return box.checked; }).length;
    var whole = boxes.length > 0 && ticked === boxes.length;
    var pageBox = document.querySelector('input[form="bulk-form"][name="page"]');
    if (pageBox) {
      pageBox.checked = whole;
      pageBox.indeterminate = ticked > 0 && !whole;
    }
    var offer = bar.querySelector("[data-bulk-all]");
    var all = document.getElementById("bulk-all");
    if (offer) offer.hidden = !whole;
    if (all && !whole) all.checked = false;
    var everything = all && all.checked;
    var count = bar.querySelector("[data-bulk-count]");
    count.textContent = crmWord("%(count)s selected", {count: everything ? bar.getAttribute("data-total-label") : String(ticked)});
    bar.hidden = !(ticked || everything);
    bar.classList.add("live");
  }

  document.addEventListener("change", function (evt) {
    var box = evt.target;
    // By the attribute: the form's own `id` property is its control named "id" (a ticked row).
    if (box.getAttribute("form") !== "bulk-form" && !box.closest("#bulk-form")) return;
    if (box.name === "page") {
      rows().forEach(function (row) { row.checked = box.checked; });
    }
    update();
  });
  document.addEventListener("DOMContentLoaded", update);
  document.addEventListener("htmx:afterSettle", update);
  // Back to the list from a confirmation page: the browser may restore ticked boxes.
  window.addEventListener("pageshow", update);
})();
