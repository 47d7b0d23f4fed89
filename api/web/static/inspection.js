// Shows the score and the technical grade as the items are scored; the bands come from the server
// (valuation/inspection/grading.py), so the page and the recorded grade cannot disagree.
(function () {
  const form = document.querySelector("form.inspection");
  if (!form) return;
  const bands = JSON.parse(form.dataset.bands);
  const score = document.getElementById("score");
  const grade = document.getElementById("grade");
  function update() {
    let total = 0;
    for (const input of form.querySelectorAll("input[data-points]")) {
      const value = parseInt(input.value, 10);
      total += Number.isFinite(value) ? Math.max(0, Math.min(value, parseInt(input.dataset.points, 10))) : 0;
    }
    let found = bands.lowest;
    for (const [lowest, g] of bands.bands) { if (total >= lowest) { found = g; break; } }
    score.textContent = total;
    grade.textContent = bands.names[found];
  }
  form.addEventListener("input", update);
  update();
})();
