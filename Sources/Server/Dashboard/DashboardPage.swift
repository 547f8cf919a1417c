/// The dashboard: one self-contained page (HTML, CSS and a little JavaScript), served
/// from the binary so it works on a machine with no route to the internet. It polls
/// `/dashboard/state` every two seconds and works out tokens per second and ETA from
/// the last two readings of each batch.
enum DashboardPage {
  static let html = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Nightdesk</title>
    <style>
      body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #f5f6f8; color: #1d2330; }
      header { background: #1d2330; color: #fff; padding: 10px 20px; display: flex; gap: 24px; align-items: baseline; }
      header h1 { font-size: 18px; margin: 0; }
      main { padding: 12px 20px; display: grid; gap: 16px; }
      section { background: #fff; border-radius: 6px; padding: 10px 14px; box-shadow: 0 1px 2px #0002; }
      h2 { font-size: 15px; margin: 0 0 8px; }
      h3 { font-size: 13px; margin: 10px 0 4px; color: #556; }
      table { border-collapse: collapse; width: 100%; }
      th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #eee; white-space: nowrap; }
      th { font-weight: 600; color: #556; }
      .bar { width: 180px; height: 10px; background: #e3e6ec; border-radius: 5px; overflow: hidden; display: inline-block; }
      .bar span { display: block; height: 100%; background: #3a7bd5; }
      .chips span { margin-right: 12px; }
      .dead, .failed { color: #b3261e; }
      .alive { color: #1b7f3b; } .gone { color: #b3261e; }
      .error { white-space: normal; }
      #status { font-size: 12px; opacity: .8; }
    </style>
    </head>
    <body>
    <header><h1>Nightdesk</h1><span id="scope"></span><span id="status">loading…</span></header>
    <main>
      <section><h2>Queue</h2><div id="queue" class="chips"></div><div id="states" class="chips"></div></section>
      <section><h2>Batches</h2><div id="batches"></div></section>
      <section><h2>Failures</h2><div id="failures">none</div></section>
      <section><h2>Workers</h2><div id="workers">none</div></section>
    </main>
    <script>
    "use strict";
    const previous = {};
    const text = (value) => String(value).replace(/[&<>"]/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c]));
    const duration = (s) => !isFinite(s) || s < 0 ? "–" : s < 90 ? Math.round(s) + " s" : s < 5400 ? Math.round(s / 60) + " min" : (s / 3600).toFixed(1) + " h";
    function headers() {
      const key = sessionStorage.getItem("nightdesk-key");
      return key ? {"Authorization": "Bearer " + key} : {};
    }
    function batchRow(b, now) {
      const seen = previous[b.batch];
      let rate = NaN, requestRate = NaN;
      if (seen && now > seen.now) {
        rate = (b.generated_tokens - seen.generated) / ((now - seen.now) / 1000);
        requestRate = (b.requests_done - seen.done) / ((now - seen.now) / 1000);
      }
      if (!(rate > 0) && now > b.created_ms) rate = b.generated_tokens / ((now - b.created_ms) / 1000);
      if (!(requestRate > 0) && now > b.created_ms) requestRate = b.requests_done / ((now - b.created_ms) / 1000);
      previous[b.batch] = {now, generated: b.generated_tokens, done: b.requests_done};
      const share = b.requests ? b.requests_done / b.requests : 0;
      const eta = b.done ? "done" : duration((b.requests - b.requests_done) / requestRate);
      const failed = b.failed + b.dead;
      return `<tr data-batch="${text(b.batch)}"><td>${text(b.batch)}</td>
        <td><span class="bar"><span style="width:${(share * 100).toFixed(1)}%"></span></span></td>
        <td class="progress">${b.requests_done}/${b.requests} requests</td>
        <td>${b.queued} queued · ${b.running} running · ${b.succeeded} succeeded${failed ? ` · <span class="failed">${failed} failed</span>` : ""}</td>
        <td>${isFinite(rate) ? rate.toFixed(1) : "–"} tok/s</td><td>ETA ${eta}</td></tr>`;
    }
    function render(state) {
      const now = state.now_ms, q = state.queue;
      document.getElementById("scope").textContent = state.desk ? "desk " + state.desk : "all desks";
      document.getElementById("queue").innerHTML = Object.keys(q.queued).map((lane) =>
        `<span>${text(lane)}: ${q.queued[lane]} queued, ${q.in_flight[lane]} in flight</span>`).join("") +
        `<span>${q.delayed} delayed</span><span class="dead">${q.dead} dead-lettered</span>`;
      document.getElementById("states").innerHTML = Object.entries(state.jobs_by_state)
        .map(([name, count]) => `<span class="${name}">${text(name)}: ${count}</span>`).join("");
      const desks = {};
      for (const b of state.batches) (desks[b.desk] = desks[b.desk] || []).push(b);
      document.getElementById("batches").innerHTML = Object.keys(desks).sort().map((desk) =>
        `<h3>desk ${text(desk)}</h3><table>${desks[desk].map((b) => batchRow(b, now)).join("")}</table>`).join("") || "none";
      document.getElementById("failures").innerHTML = state.failures.length ? "<table><tr><th>job</th><th>desk</th><th>state</th><th>reason</th></tr>" +
        state.failures.map((f) => `<tr class="failure"><td>${text(f.job)}</td><td>${text(f.desk)}</td><td class="${text(f.state)}">${text(f.state)}</td><td class="error">${text(f.error)}</td></tr>`).join("") + "</table>" : "none";
      document.getElementById("workers").innerHTML = q.workers.length ? "<table><tr><th>worker</th><th></th><th>model</th><th>kernels</th><th>running</th><th>last beat</th></tr>" +
        q.workers.map((w) => `<tr><td>${text(w.id)}</td><td class="${w.alive ? "alive" : "gone"}">${w.alive ? "alive" : "silent"}</td><td>${text(w.model || "")}</td>
          <td>${text(w.kernels || "–")}</td><td>${text(w.running || 0)} of ${text(w.capacity || "?")}</td><td>${w.seconds_since_heartbeat.toFixed(1)} s ago</td></tr>`).join("") + "</table>" : "none";
      document.getElementById("status").textContent = "updated " + new Date(now).toLocaleTimeString();
    }
    async function poll() {
      try {
        const reply = await fetch("dashboard/state", {headers: headers()});
        if (reply.status === 401) {
          const key = prompt("API key for this desk");
          if (key) sessionStorage.setItem("nightdesk-key", key);
        } else if (!reply.ok) {
          document.getElementById("status").textContent = "error " + reply.status + ": " + (await reply.text());
        } else {
          render(await reply.json());
        }
      } catch (error) {
        document.getElementById("status").textContent = "cannot reach the server: " + error;
      }
      setTimeout(poll, 2000);
    }
    poll();
    </script>
    </body>
    </html>
    """#
}
