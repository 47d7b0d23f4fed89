// Keeps a table up to date: every few seconds asks the page's rows route for what came after the cursor
// and puts the new rows on top. Only the table's own data attributes say where and from what.
(function () {
  const table = document.querySelector("table[data-rows]");
  if (!table) return;
  const body = table.querySelector("tbody");
  const state = document.getElementById("live-state");
  const none = document.getElementById("none");
  const every = 3000;
  async function poll() {
    try {
      const url = table.dataset.rows + "?after=" + encodeURIComponent(table.dataset.cursor);
      const answer = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (answer.redirected || answer.status === 401) { window.location.reload(); return; }
      if (answer.ok) {
        const html = (await answer.text()).trim();
        if (html) {
          body.insertAdjacentHTML("afterbegin", html);
          if (none) none.hidden = true;
        }
        table.dataset.cursor = answer.headers.get("X-Cursor") || table.dataset.cursor;
        if (state) { state.textContent = "实时"; state.classList.remove("stale"); }
      }
    } catch (err) {
      if (state) { state.textContent = "连接中断，正在重试"; state.classList.add("stale"); }
    }
    setTimeout(poll, every);
  }
  setTimeout(poll, every);
})();
