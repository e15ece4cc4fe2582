// Tables page: every table with its index state, and for each table whose
// `recall eval` sweep is recorded, recall@k against query latency.
"use strict";

const { el, api, fill } = recsys;
const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attributes, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Recall (y) against p50 latency in µs (x, log scale), one point per swept setting. */
function plot(state) {
  const rows = state.evaluations.rows, k = rows[0].k;
  const W = 560, H = 300, L = 52, R = 16, T = 14, B = 40;
  const xs = rows.map((r) => Math.log10(Math.max(r.p50_micros, 0.1)));
  const x0 = Math.floor(Math.min(...xs)), x1 = Math.max(Math.ceil(Math.max(...xs)), x0 + 1);
  const y0 = Math.max(0, Math.floor(Math.min(...rows.map((r) => r.recall)) * 10) / 10), y1 = 1;
  const px = (v) => L + (v - x0) / (x1 - x0) * (W - L - R), py = (v) => T + (1 - (v - y0) / Math.max(y1 - y0, 1e-9)) * (H - T - B);
  const s = svg("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img", class: "tradeoff" });
  s.append(svg("title", {}, `recall@${k} against latency for ${state.table}`));
  s.append(svg("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: "#98a2b3" }), svg("line", { x1: L, y1: T, x2: L, y2: H - B, stroke: "#98a2b3" }));
  for (let e = x0; e <= x1; e++) s.append(svg("text", { x: px(e), y: H - B + 16, "text-anchor": "middle" }, `${10 ** e} µs`));
  for (let v = y0; v <= y1 + 1e-9; v += 0.1) s.append(svg("text", { x: L - 6, y: py(v) + 4, "text-anchor": "end" }, v.toFixed(1)));
  s.append(svg("text", { x: (L + W - R) / 2, y: H - 6, "text-anchor": "middle" }, "p50 latency per query (log scale)"));
  s.append(svg("text", { x: 12, y: (T + H - B) / 2, transform: `rotate(-90 12 ${(T + H - B) / 2})`, "text-anchor": "middle" }, `recall@${k}`));
  rows.forEach((r, i) => {
    const dot = svg("circle", { cx: px(xs[i]), cy: py(r.recall), r: 5, fill: r.method === "exact" ? "#b42318" : "#2f6fde", class: "point" });
    dot.append(svg("title", {}, `${r.method}: tables ${r.tables}, probes ${r.probes}, rescore ${r.rescore}; recall ${r.recall.toFixed(3)}, p50 ${r.p50_micros.toFixed(0)} µs, ${r.queries_per_second.toFixed(0)} q/s`));
    s.append(dot);
  });
  return s;
}

function indexCell(state) {
  if (!state) return "";
  const i = state.index;
  if (!i) return el("span", { class: "muted" }, "none (exact scan)");
  return el("span", {}, `L=${i.parameters.tables} K=${i.parameters.bits} probes=${i.parameters.probes}${i.parameters.quantized ? " + 8-bit copy" : ""}`,
    i.recall_at_build !== undefined ? `, recall@10 ${i.recall_at_build.toFixed(3)} at build` : "",
    `, ${(i.bytes / 1e6).toFixed(1)} MB`, state.note ? el("div", { class: "down" }, state.note) : null);
}

document.addEventListener("DOMContentLoaded", async () => {
  try {
    const tables = await api("/v1/tables");
    const states = await Promise.all(tables.map((t) => api(`/v1/tables/${encodeURIComponent(t.name)}/index`).catch(() => null)));
    fill("tables", el("table", { id: "tables-table" },
      el("tr", {}, ["Name", "Kind", "Rows", "Dimension", "Version", "Changes", "Index"].map((h) => el("th", {}, h))),
      tables.map((t, i) => el("tr", {}, el("td", {}, t.name), el("td", {}, t.kind), el("td", { class: "num" }, t.rows.toLocaleString()),
        el("td", { class: "num" }, t.dimension), el("td", { class: "num" }, t.version), el("td", { class: "num" }, t.changes_since_import),
        el("td", {}, indexCell(states[i]))))));
    const plotted = states.filter((s) => s && s.evaluations && s.evaluations.rows.length);
    fill("plots", plotted.map((s) => el("section", {}, el("h2", {}, `${s.table}: recall against latency`),
      el("p", { class: "muted" }, `recorded by recall eval on ${s.evaluations.recorded_at}` +
        (s.evaluations.table_version !== s.table_version ? ` for table version ${s.evaluations.table_version} (now ${s.table_version})` : "")),
      plot(s))),
      plotted.length ? null : el("p", { class: "muted" }, "No recorded sweeps: run `recsys recall eval --table T --probes 1,2,4,8,16` to plot one."));
  } catch (e) { recsys.showError("tables", e); }
});
