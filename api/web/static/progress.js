// Shows a piece of long work advancing: asks its state route every second until it is finished. The
// state lives on the server, so a reload picks up where the work is.
(function () {
  const card = document.querySelector("[data-state]");
  if (!card) return;
  const finished = ["done", "failed", "cancelled"];
  if (finished.includes(card.dataset.status)) return;
  const el = (id) => document.getElementById(id);
  async function poll() {
    try {
      const answer = await fetch(card.dataset.state, { credentials: "same-origin" });
      if (answer.redirected || answer.status === 401) { window.location.reload(); return; }
      if (answer.ok) {
        const s = await answer.json();
        el("work-status").textContent = s.status_name;
        el("work-status").className = "tag " + s.status;
        el("work-count").textContent = s.done + " / " + s.total;
        el("work-bar").value = s.percent;
        el("work-summary").textContent = s.summary;
        el("work-error").textContent = s.error;
        el("work-error").hidden = !s.error;
        if (s.url) { el("work-result").querySelector("a").href = s.url; el("work-result").hidden = false; }
        card.dataset.status = s.status;
        if (s.finished) return;
      }
    } catch (err) { /* the network dropped: try again */ }
    setTimeout(poll, 1000);
  }
  setTimeout(poll, 1000);
})();
