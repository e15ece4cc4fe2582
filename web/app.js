// Shared helpers of the recsys pages: JSON calls with errors shown to the
// user, element building (text is always set as text, never parsed as HTML),
// and query-string access. No framework, no build step.
"use strict";

const recsys = {
  /** GET (or POST with a body) a JSON route; throws an Error carrying the route's message. */
  async api(path, body) {
    const init = body === undefined ? {} : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
    let response;
    try {
      response = await fetch(path, init);
    } catch (e) {
      throw new Error(`the service did not answer (${e.message})`);
    }
    let data = null;
    try { data = await response.json(); } catch (e) { /* not JSON */ }
    if (!response.ok) throw new Error((data && data.error) || `${response.status} ${response.statusText}`);
    return data;
  },

  /** An element with attributes and children (strings become text nodes). */
  el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attributes || {})) {
      if (v === undefined || v === null) continue;
      if (k === "class") node.className = v; else node.setAttribute(k, v);
    }
    for (const c of children.flat()) {
      if (c === undefined || c === null) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  },

  /** Replaces the children of the element with id `id`. */
  fill(id, ...children) {
    const node = document.getElementById(id);
    node.replaceChildren(...children.flat().filter((c) => c !== undefined && c !== null));
    return node;
  },

  showError(id, error) {
    recsys.fill(id, recsys.el("div", { class: "error", role: "alert" }, error.message || String(error)));
  },

  param(name) { return new URLSearchParams(location.search).get(name); },

  /** Sets query parameters without reloading (so a page can be linked as shown). */
  setParams(values) {
    const p = new URLSearchParams(location.search);
    for (const [k, v] of Object.entries(values)) { if (v === null || v === "") p.delete(k); else p.set(k, v); }
    history.replaceState(null, "", `${location.pathname}?${p}`);
  },

  itemLink(item) {
    return recsys.el("a", { href: `/item?id=${encodeURIComponent(item.id)}` }, item.title || item.id);
  },

  genres(list) { return (list || []).map((g) => recsys.el("span", { class: "tag" }, g)); },

  score(x, digits = 4) { return typeof x === "number" ? x.toFixed(digits) : ""; },

  /** Options of a <select> of embedding tables whose kind is in `kinds`. */
  async tableOptions(selectId, kinds, chosen) {
    const tables = (await recsys.api("/v1/tables")).filter((t) => kinds.includes(t.kind));
    const select = document.getElementById(selectId);
    select.replaceChildren(...tables.map((t) => recsys.el("option", { value: t.name }, `${t.name} (${t.kind}, ${t.dimension}d)`)));
    if (chosen && tables.some((t) => t.name === chosen)) select.value = chosen;
    return tables;
  },

  header() {
    const nav = recsys.el("header", {},
      recsys.el("a", { class: "brand", href: "/" }, "recsys"),
      recsys.el("a", { href: "/" }, "Browse"),
      recsys.el("a", { href: "/user" }, "Users"),
      recsys.el("a", { href: "/tables" }, "Tables"),
      recsys.el("a", { href: "/openapi.json" }, "API"));
    document.body.prepend(nav);
  },
};

document.addEventListener("DOMContentLoaded", () => recsys.header());
