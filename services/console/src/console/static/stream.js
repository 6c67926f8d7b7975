// Live event stream: server-sent events, filters applied by the server, pause kept client side.
(function () {
  const list = document.getElementById("events");
  const detail = document.getElementById("detail");
  const status = document.getElementById("status");
  const pause = document.getElementById("pause");
  const form = document.getElementById("filters");
  const kept = new Map();
  let source = null, paused = false, held = [];

  function show(event) {
    const item = document.createElement("li");
    item.dataset.offset = event.offset;
    item.textContent = `#${event.offset}  ${event.time.slice(0, 19)}  ${event.type}  ${event.subject}`;
    item.addEventListener("click", () => open(event, item));
    list.prepend(item);
    while (list.children.length > 500) { kept.delete(list.lastChild.dataset.offset); list.lastChild.remove(); }
  }

  function open(event, item) {
    list.querySelectorAll("li.selected").forEach((li) => li.classList.remove("selected"));
    item.classList.add("selected");
    detail.innerHTML = "";
    const title = document.createElement("h2");
    title.textContent = `${event.type} — offset ${event.offset}`;
    const headers = document.createElement("pre");
    headers.id = "detail-headers";
    headers.textContent = JSON.stringify(event.headers, null, 2);
    const body = document.createElement("pre");
    body.id = "detail-body";
    body.textContent = JSON.stringify(event.body, null, 2);
    detail.append(title, label("Header / headers"), headers, label("Isi / body"), body);
  }

  function label(text) { const p = document.createElement("p"); p.textContent = text; return p; }

  function connect() {
    if (source) source.close();
    status.textContent = "Menyambung… / connecting…"; status.dataset.state = "connecting";
    const params = new URLSearchParams(new FormData(form));
    source = new EventSource(`/stream/events?${params}`);
    source.addEventListener("ready", () => { status.textContent = "Tersambung / connected"; status.dataset.state = "open"; });
    source.addEventListener("error", () => { status.textContent = "Menyambung ulang… / reconnecting…"; status.dataset.state = "error"; });
    source.addEventListener("kerjalokal", (message) => {
      const event = JSON.parse(message.data);
      kept.set(String(event.offset), event);
      if (paused) { held.push(event); pause.textContent = `Lanjutkan (${held.length}) / resume`; }
      else show(event);
    });
  }

  pause.addEventListener("click", () => {
    paused = !paused;
    if (!paused) { held.forEach(show); held = []; }
    pause.textContent = paused ? "Lanjutkan / resume" : "Jeda / pause";
  });
  form.addEventListener("submit", (e) => { e.preventDefault(); list.innerHTML = ""; held = []; connect(); });
  connect();
})();
