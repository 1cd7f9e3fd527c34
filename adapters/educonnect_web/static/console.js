// Progressive enhancement only: « Tout cocher » also ticks the visible rows. Without JavaScript
// the box still means « every account of the search » on the server.
document.addEventListener("DOMContentLoaded", function () {
  var all = document.getElementById("tout-cocher");
  if (!all) { return; }
  all.addEventListener("change", function () {
    var boxes = document.querySelectorAll("input[name=login]");
    for (var i = 0; i < boxes.length; i++) { boxes[i].checked = all.checked; }
  });
});
