// Item page: metadata, and the items nearest to it in a chosen embedding table.
"use strict";

const { el, api, fill } = recsys;
const id = recsys.param("id");

async function showItem() {
  if (!id) { recsys.showError("item", new Error("no item id: open this page as /item?id=ID")); return false; }
  try {
    const item = await api(`/v1/items/${encodeURIComponent(id)}`);
    document.title = `recsys: ${item.title || item.id}`;
    const fields = Object.entries(item.fields);
    fill("item", el("h1", { id: "item-title" }, item.title || item.id),
      el("p", {}, recsys.genres(item.genres), el("span", { class: "muted" }, ` id ${item.id}`)),
      fields.length ? el("table", {}, fields.map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, v)))) : null);
    return true;
  } catch (e) { recsys.showError("item", e); return false; }
}

async function showSimilar() {
  const table = document.getElementById("table").value, k = document.getElementById("k").value;
  if (!table) { fill("similar", el("p", { class: "muted" }, "The store has no item embedding table.")); return; }
  recsys.setParams({ table });
  try {
    const r = await api(`/v1/recall/item/${encodeURIComponent(id)}?table=${encodeURIComponent(table)}&k=${k}`);
    fill("similar", el("table", { id: "similar-table" },
      el("tr", {}, el("th", { class: "num" }, "#"), el("th", {}, "Title"), el("th", {}, "Genres"), el("th", { class: "num" }, "Similarity")),
      r.results.map((h, i) => el("tr", {}, el("td", { class: "num" }, i + 1), el("td", {}, recsys.itemLink(h)),
        el("td", {}, recsys.genres(h.genres)), el("td", { class: "num score" }, recsys.score(h.score))))),
      el("p", { class: "timings" }, `${r.method} search, ${r.candidates} candidates scored, ${r.timings.search_ms.toFixed(2)} ms`));
  } catch (e) { recsys.showError("similar", e); }
}

document.addEventListener("DOMContentLoaded", async () => {
  const found = await showItem();
  try {
    await recsys.tableOptions("table", ["pretrained", "learned"], recsys.param("table") || "item2vec");
  } catch (e) { recsys.showError("similar", e); return; }
  if (!found) return;
  for (const s of ["table", "k"]) document.getElementById(s).addEventListener("change", showSimilar);
  showSimilar();
});
