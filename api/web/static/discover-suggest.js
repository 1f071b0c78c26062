// Type-ahead for the search box: fills its <datalist> with titles the reader may see
// (/search/suggest). The box works without it: the form is an ordinary GET.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var box = document.querySelector("input[data-suggest]");
  var list = box && box.list;
  if (!box || !list) { return; }
  var timer = null;
  var asked = "";
  box.addEventListener("input", function () {
    clearTimeout(timer);
    var text = box.value.trim();
    if (text.length < 2 || text === asked) { return; }
    timer = setTimeout(function () {
      asked = text;
      var url = box.getAttribute("data-suggest") + "?q=" + encodeURIComponent(text);
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { items: [] }; })
        .then(function (body) {
          if (text !== box.value.trim()) { return; }
          while (list.firstChild) { list.removeChild(list.firstChild); }
          body.items.forEach(function (item) {
            var option = document.createElement("option");
            option.value = item.title;  // text, never HTML
            list.appendChild(option);
          });
        })
        .catch(function () { /* suggestions are a convenience: typing goes on */ });
    }, 150);
  });
});
