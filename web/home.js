// Home page: title search (as you type) and one row of items per genre.
"use strict";

const { el, api, fill } = recsys;

function card(item) {
  return el("div", { class: "card" }, recsys.itemLink(item), el("div", { class: "genres" }, (item.genres || []).join(" · ")));
}

async function search(query) {
  recsys.setParams({ q: query });
  if (!query) { fill("search-results"); fill("count"); return; }
  try {
    const r = await api(`/v1/items?q=${encodeURIComponent(query)}&limit=30`);
    if (document.getElementById("q").value !== query) return; // a newer query is on its way
    fill("count", `${r.total} match${r.total === 1 ? "" : "es"}`);
    fill("search-results", r.results.length
      ? el("table", { id: "search-table" }, el("tr", {}, el("th", {}, "Title"), el("th", {}, "Genres"), el("th", {}, "Id")),
        r.results.map((i) => el("tr", {}, el("td", {}, recsys.itemLink(i)), el("td", {}, recsys.genres(i.genres)), el("td", { class: "muted" }, i.id))))
      : el("p", { class: "muted" }, `No title contains “${query}”.`));
  } catch (e) { recsys.showError("search-results", e); }
}

async function genreRows() {
  try {
    const genres = (await api("/v1/genres")).slice(0, 10);
    if (!genres.length) { fill("genre-rows", el("p", { class: "muted" }, "No item metadata in the store (import it with `recsys items import`).")); return; }
    const rows = await Promise.all(genres.map((g) => api(`/v1/items?genre=${encodeURIComponent(g.genre)}&limit=15`)));
    fill("genre-rows", genres.map((g, i) => el("section", { class: "genre-row" },
      el("h2", {}, `${g.genre} `, el("span", { class: "muted" }, `(${g.items})`)),
      el("div", { class: "row" }, rows[i].results.map(card)))));
  } catch (e) { recsys.showError("genre-rows", e); }
}

document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("q");
  let timer;
  box.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => search(box.value.trim()), 150); });
  box.value = recsys.param("q") || "";
  if (box.value) search(box.value);
  genreRows();
});
