namespace Aspire.Hosting.Dashboard;

/// <summary>One self-contained page: the resource table refreshed every second, and the selected resource's live log.</summary>
internal static class DashboardPage
{
    public const string Html = """
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>SocialChat dashboard</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 1.5rem; color: #1b1b1b; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #ddd; vertical-align: top; }
  th { background: #f4f4f4; }
  .Healthy { color: #0a7a2f; font-weight: 600; } .Unhealthy, .Exited, .FailedToStart, .RuntimeUnhealthy { color: #b00020; font-weight: 600; }
  .Waiting, .Starting, .Unknown { color: #8a6d00; }
  pre { background: #111; color: #ddd; padding: .8rem; height: 24rem; overflow: auto; font-size: 12px; }
  button { margin-right: .25rem; } details summary { cursor: pointer; } .env { font-family: monospace; font-size: 12px; }
</style>
</head>
<body>
<h1>SocialChat</h1>
<nav><a href="/logs">Structured logs</a> · <a href="/traces">Traces</a> · <a href="/metrics">Metrics</a></nav>
<table>
  <thead><tr><th>Resource</th><th>Type</th><th>State</th><th>Health</th><th>Pid</th><th>Started</th><th>Exit code</th><th>Restarts</th><th>Endpoints</th><th>Environment</th><th></th></tr></thead>
  <tbody id="resources"></tbody>
</table>
<h2>Console: <span id="log-name">(choose a resource)</span></h2>
<pre id="log"></pre>
<script>
let selected = null, lastLine = 0;
const esc = s => String(s ?? "").replace(/[&<>"]/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;","\"":"&quot;"}[c]));
function links(r) {
  const extra = r.resourceType === "Project" ? ["/health", ...(r.resourceName === "api" ? ["/app", "/scalar", "/openapi/v1.json"] : [])] : [];
  return r.urls.map(u => u.startsWith("http") ? [u, ...extra.map(p => u + p)].map(l => `<a href="${esc(l)}" target="_blank">${esc(l)}</a>`).join("<br>") : esc(u)).join("<br>");
}
function env(r) {
  const entries = Object.entries(r.environment || {});
  return entries.length ? `<details><summary>${entries.length} variables</summary><div class="env">${entries.map(([k, v]) => esc(k) + "=" + esc(v)).join("<br>")}</div></details>` : "";
}
async function refresh() {
  const resources = await (await fetch("/api/resources")).json();
  document.getElementById("resources").innerHTML = resources.map(r => `<tr>
    <td><a href="#" onclick="show('${esc(r.name)}');return false">${esc(r.name)}</a></td><td>${esc(r.resourceType)}</td>
    <td class="${esc(r.state)}">${esc(r.state)}</td><td class="${esc(r.health)}" title="${esc(r.healthDescription)}">${esc(r.health)}</td>
    <td>${esc(r.pid)}</td><td>${r.startedAt ? new Date(r.startedAt).toLocaleTimeString() : ""}</td><td>${esc(r.exitCode)}</td><td>${r.restarts || ""}</td>
    <td>${links(r)}</td><td>${env(r)}</td>
    <td>${r.resourceType === "Parameter" ? "" : ["stop", "start", "restart"].map(c => `<button onclick="command('${esc(r.name)}','${c}')">${c}</button>`).join("")}</td></tr>`).join("");
}
async function command(name, command) { await fetch(`/api/resources/${name}/${command}`, { method: "POST" }); refresh(); }
function show(name) { selected = name; lastLine = 0; document.getElementById("log").textContent = ""; document.getElementById("log-name").textContent = name; tail(); }
async function tail() {
  if (!selected) return;
  const lines = await (await fetch(`/api/resources/${selected}/logs?after=${lastLine}`)).json();
  if (lines.length) {
    const log = document.getElementById("log"), atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 20;
    log.textContent += lines.map(l => l.text).join("\n") + "\n";
    lastLine = lines[lines.length - 1].number;
    if (atBottom) log.scrollTop = log.scrollHeight;
  }
}
refresh(); setInterval(refresh, 1000); setInterval(tail, 1000);
</script>
</body>
</html>
""";
}
