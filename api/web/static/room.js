// The live bidding room: follows the round's server-sent events (`bid`, `state`) and counts down to the
// effective end against the server's clock (the page's server time, then each state's), never the browser's.
// A bidder's form posts without leaving the page; each answer brings the key of the next bid, so a double
// click sends the same key twice and the server keeps one bid.
(function () {
  const room = document.getElementById("room");
  if (!room) return;
  const $ = (id) => document.getElementById(id);
  const increment = Number(room.dataset.increment);
  const startPrice = Number(room.dataset.startPrice);
  let offset = Date.parse(room.dataset.serverTime) - Date.now(); // server time minus browser time
  let end = Date.parse(room.dataset.end);
  const starts = Date.parse(room.dataset.starts);
  let status = room.dataset.status;
  let price = room.dataset.price === "" ? null : Number(room.dataset.price);
  let seen = 0;
  for (const row of $("room-bids-list").querySelectorAll("tr[data-seq]")) seen = Math.max(seen, Number(row.dataset.seq));

  const yuan = (fen) => (fen / 100).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const yuanText = (fen) => yuan(fen) + "元";
  const parts = (ms) => Object.fromEntries(new Intl.DateTimeFormat("en-CA", {
    timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
  }).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  const when = (ms) => { const p = parts(ms); return `${p.year}年${p.month}月${p.day}日 ${p.hour}:${p.minute}:${p.second}`; };
  const nextMin = () => (price === null ? startPrice : price + increment);
  const serverNow = () => Date.now() + offset;

  function show() {
    $("room-price").textContent = price === null ? "暂无出价" : yuanText(price);
    $("room-next").textContent = yuanText(nextMin());
    $("room-end").textContent = when(end);
    const amount = document.querySelector("#bid-form input[name=amount]");
    if (amount) {
      const typed = Number(amount.value.replace(/[,元\s]/g, ""));
      if (!(typed >= nextMin())) amount.value = yuan(nextMin()).replace(/,/g, "");
    }
  }

  function tick() {
    const box = $("room-countdown");
    if (status === "suspended") { box.textContent = "已中止"; return; }
    if (status !== "announced") { box.textContent = "竞价已结束"; return; }
    const now = serverNow();
    if (now < starts) { box.textContent = "距开始 " + span(starts - now); return; }
    const left = end - now;
    box.textContent = left > 0 ? span(left) : "竞价已结束";
    box.classList.toggle("soon", left > 0 && left <= 5 * 60 * 1000);
  }
  function span(ms) {
    const s = Math.floor(ms / 1000), d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
    const m = Math.floor((s % 3600) / 60), sec = s % 60;
    const two = (n) => String(n).padStart(2, "0");
    return (d ? d + "天" : "") + `${two(h)}:${two(m)}:${two(sec)}`;
  }

  function state(data) {
    if (data.server_time) offset = Date.parse(data.server_time) - Date.now();
    status = data.status;
    end = Date.parse(data.effective_end_at);
    price = data.price_fen;
    $("room-bids").textContent = data.bids;
    room.dataset.status = status;
    $("room-live").textContent = { announced: "竞价中", suspended: "已中止", sold: "已成交", unsold: "流拍", withdrawn: "已撤回" }[status] || status;
    if (status !== "announced") { const f = $("bid-form"); if (f) f.hidden = true; }
    show();
    tick();
  }

  function bid(data) {
    if (data.seq <= seen) return;
    seen = data.seq;
    const moved = data.end_moved !== undefined ? data.end_moved : Date.parse(data.ends_at) > end;
    const row = document.createElement("tr");
    row.dataset.seq = data.seq;
    row.className = "fresh";
    const cells = [data.bidder, yuanText(data.amount_fen), when(Date.parse(data.at)), ""];
    cells.forEach((text, i) => {
      const td = document.createElement("td");
      td.textContent = text;
      if (i === 1) td.className = "num";
      row.appendChild(td);
    });
    const marks = row.lastChild;
    for (const [on, label, cls] of [[moved, "延时", "tag ext"], [data.proxy, "代理", "tag"], [data.priority, "优先", "tag"]]) {
      if (on) { const t = document.createElement("span"); t.className = cls; t.textContent = label; marks.appendChild(t); }
    }
    $("room-bids-list").prepend(row);
    $("room-none").hidden = true;
    state(data);
  }

  if (window.EventSource) {
    const source = new EventSource(room.dataset.live);
    source.addEventListener("state", (e) => state(JSON.parse(e.data)));
    source.addEventListener("bid", (e) => bid(JSON.parse(e.data)));
    source.onerror = () => { $("room-live").classList.add("stale"); };
    source.onopen = () => { $("room-live").classList.remove("stale"); };
  }

  const form = $("bid-form");
  if (form) {
    $("bid-plus").addEventListener("click", () => {
      const amount = form.elements.amount;
      const typed = Number(amount.value.replace(/[,元\s]/g, ""));
      const base = typed >= nextMin() / 100 ? Math.round(typed * 100) : nextMin() - increment;
      amount.value = yuan(Math.max(base + increment, nextMin())).replace(/,/g, "");
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = $("bid-submit");
      if (button.disabled) return;
      button.disabled = true;
      $("bid-error").textContent = "";
      try {
        const answer = await fetch(form.action, {
          method: "POST", body: new URLSearchParams(new FormData(form)), credentials: "same-origin",
          headers: { Accept: "application/json" },
        });
        if (answer.status === 401 || answer.redirected) { window.location.reload(); return; }
        const data = await answer.json();
        if (data.next_key) form.elements.key.value = data.next_key;
        if (answer.ok) {
          if (data.price_fen !== null && data.price_fen !== undefined) {
            state({ status: "announced", effective_end_at: data.effective_end_at, price_fen: data.price_fen, bids: data.bids, server_time: data.server_time });
          }
        } else {
          $("bid-error").textContent = data.error || "出价未成功";
        }
      } catch (err) {
        $("bid-error").textContent = "网络中断，出价可能未送达：请稍候查看最新出价后再试";
      } finally {
        button.disabled = false;
      }
    });
  }

  show();
  tick();
  setInterval(tick, 250);
})();
