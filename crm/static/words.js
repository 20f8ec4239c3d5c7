// The words the scripts show, in the page's language: base.html puts them on <body data-words='{...}'> keyed
// by their English (crm/templating.py, SCRIPT_WORDS), so a translation lives in the catalogues with the rest.
// crmWord("%(count)s selected", {count: "3"}) fills the placeholders; a word not given reads in English.
(function () {
  "use strict";
  var words = {};
  try { words = JSON.parse(document.body.getAttribute("data-words") || "{}"); } catch (e) { words = {}; }
  window.crmWord = function (english, values) {
    var text = Object.prototype.hasOwnProperty.call(words, english) ? words[english] : english;
    return text.replace(/%\((\w+)\)s/g, function (all, name) {
      return values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : all;
    });
  };
})();
