// Links with data-clears="#field" also empty that field when followed: "Clear search" swaps only the results
// under the search box, which would go on showing the words. (Without JavaScript the page reloads with it empty.)
(function () {
  "use strict";

  document.addEventListener("click", function (evt) {
    var link = evt.target.closest("[data-clears]");
    var field = link && document.querySelector(link.getAttribute("data-clears"));
    if (field) field.value = "";
  });
})();
