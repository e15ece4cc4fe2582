// User page: the user's history beside recall candidates and the ranker's
// order of them, with each item's move from its recall rank.
"use strict";

const { el, api, fill } = recsys;

function value(id) { return document.getElementById(id).value.trim(); }

function showHistory(user) {
  const items = user.history.slice().reverse(); // most recent first
  fill("history", items.length
    ? el("table", { id: "history-table" }, el("tr", {}, el("th", {}, "Title"), el("th", {}, "Genres")),
      items.slice(0, 100).map((h) => el("tr", {}, el("td", {}, recsys.itemLink(h)), el("td", {}, recsys.genres(h.genres)))))
    : el("p", { class: "muted" }, "No stored history."),
    items.length > 100 ? el("p", { class: "muted" }, `and ${items.length - 100} older items`) : null);
}

function move(recallRank, rank) {
  if (recallRank === undefined) return el("span", { class: "muted" }, "");
  const d = recallRank - rank;
  if (d > 0) return el("span", { class: "up", title: `recall rank ${recallRank + 1}` }, `▲ ${d}`);
  if (d < 0) return el("span", { class: "down", title: `recall rank ${recallRank + 1}` }, `▼ ${-d}`);
  return el("span", { class: "muted" }, "=");
}

async function show() {
  const userId = value("user");
  if (!userId) return;
  const table = value("table"), model = value("model"), candidates = value("candidates") || "800", k = value("k") || "20";
  recsys.setParams({ id: userId, table, model, candidates, k });
  document.getElementById("heading").textContent = `User ${userId}`;
  fill("status"); fill("history"); fill("recommendations"); fill("timings");
  const q = (extra) => `table=${encodeURIComponent(table)}&${extra}`;
  try {
    const user = await api(`/v1/users/${encodeURIComponent(userId)}`);
    showHistory(user);
    const [recall, rec] = await Promise.all([
      api(`/v1/recall/user/${encodeURIComponent(userId)}?${q(`k=${candidates}`)}`),
      api(`/v1/recommend/user/${encodeURIComponent(userId)}?${q(`k=${k}&candidates=${candidates}${model ? `&model=${encodeURIComponent(model)}` : ""}`)}`),
    ]);
    const recallRank = new Map(recall.results.map((h, i) => [h.id, i]));
    const t = rec.timings;
    fill("timings", `model ${rec.model || "none"} · ${rec.candidates_recalled} candidates by ${rec.recall_method} from ${rec.from} · ` +
      `user vector ${t.user_vector_ms.toFixed(2)} ms, recall ${t.recall_ms.toFixed(2)} ms, rank ${t.rank_ms.toFixed(2)} ms, total ${t.total_ms.toFixed(2)} ms`,
      rec.note ? el("div", {}, `note: ${rec.note}`) : null);
    fill("recommendations", el("table", { id: "recommendations-table" },
      el("tr", {}, el("th", { class: "num" }, "#"), el("th", {}, "Title"), el("th", {}, "Genres"),
        el("th", { class: "num" }, "Rank score"), el("th", { class: "num" }, "Recall score"), el("th", { class: "num" }, "Recall #"), el("th", {}, "Move")),
      rec.results.map((r, i) => el("tr", {}, el("td", { class: "num" }, i + 1), el("td", {}, recsys.itemLink(r)), el("td", {}, recsys.genres(r.genres)),
        el("td", { class: "num rank-score" }, recsys.score(r.rank_score)), el("td", { class: "num" }, recsys.score(r.recall_score)),
        el("td", { class: "num" }, recallRank.has(r.id) ? recallRank.get(r.id) + 1 : ""), el("td", {}, move(recallRank.get(r.id), i))))));
  } catch (e) { recsys.showError("status", e); }
}

document.addEventListener("DOMContentLoaded", async () => {
  for (const name of ["id", "candidates", "k"]) { const v = recsys.param(name); if (v) document.getElementById(name === "id" ? "user" : name).value = v; }
  try {
    await recsys.tableOptions("table", ["pretrained", "learned"], recsys.param("table") || "item2vec");
    const models = await api("/v1/models");
    document.getElementById("model").append(...models.map((m) => el("option", { value: m.name }, m.name)));
    if (recsys.param("model")) document.getElementById("model").value = recsys.param("model");
  } catch (e) { recsys.showError("status", e); }
  document.getElementById("pick").addEventListener("submit", (event) => { event.preventDefault(); show(); });
  if (value("user")) show();
});
