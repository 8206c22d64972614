// The report form's running total: the attendance by category, added up as it is typed (the server checks it too).
(function () {
  var form = document.getElementById("laporan");
  var shown = document.getElementById("jumlah-kategori");
  if (!form || !shown) return;
  function update() {
    var sum = 0;
    form.querySelectorAll("input[data-kategori]").forEach(function (input) {
      var n = parseInt(input.value, 10);
      if (n > 0) sum += n;
    });
    shown.textContent = sum.toLocaleString("id-ID");
  }
  form.addEventListener("input", update);
  update();
})();
