// Follows a page whose state changes on the server without anyone touching it (an inquiry waiting on the
// platforms): fetches the page again every few seconds and, when its version differs, puts the new
// content in place. It stops once the page no longer asks to be followed (the work is settled).
(function () {
  const every = 3000;
  const versionOf = (root) => {
    const mark = root.querySelector("[data-follow]");
    return mark ? mark.dataset.follow : null;
  };
  if (versionOf(document) === null) return;
  async function poll() {
    try {
      const answer = await fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (answer.redirected || answer.status === 401) { window.location.reload(); return; }
      if (answer.ok) {
        const fresh = new DOMParser().parseFromString(await answer.text(), "text/html");
        const version = versionOf(fresh);
        if (version !== versionOf(document)) {
          document.querySelector("main").replaceWith(fresh.querySelector("main"));
        }
        if (version === null) return;
      }
    } catch (err) { /* the network dropped: try again */ }
    setTimeout(poll, every);
  }
  setTimeout(poll, every);
})();
