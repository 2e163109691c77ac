// Kolokol's own progressive enhancements; every page works without them.
"use strict";

const csrfToken = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

const typing = (event) => {
  const el = event.target;
  return event.ctrlKey || event.metaKey || event.altKey ||
    (el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName)));
};

// Post a small action to the JSON API with the session's CSRF token; null when it failed.
const postJSON = async (url, body) => {
  try {
    const response = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify(body || {}),
    });
    return response.ok ? await response.json() : null;
  } catch (err) {
    return null;
  }
};

const helpDialog = () => document.getElementById("keys-help");

const toggleHelp = () => {
  const dialog = helpDialog();
  if (!dialog) return;
  if (dialog.open) dialog.close(); else dialog.showModal();
};

// The review queue: j/k move the selection, a/r decide at once (JSON API; the forms are the fallback),
// e edits, s splits, m asks for the other incident's number, o / Enter open.
const reviewQueue = (list) => {
  const items = () => Array.from(list.querySelectorAll(".queue-item:not(.done)"));
  let current = items()[0] || null;
  const select = (item) => {
    if (!item) return;
    for (const el of list.querySelectorAll(".queue-item.selected")) el.classList.remove("selected");
    item.classList.add("selected");
    item.setAttribute("aria-current", "true");
    item.focus({ preventScroll: true });
    item.scrollIntoView({ block: "nearest" });
    current = item;
  };
  const move = (step) => {
    const all = items();
    if (!all.length) return;
    const at = all.indexOf(current);
    select(all[Math.max(0, Math.min(all.length - 1, (at < 0 ? 0 : at) + step))]);
  };
  const decide = async (item, action) => {
    if (!item || item.classList.contains("done")) return;
    const form = item.querySelector(`form[data-action="${action}"]`);
    const result = await postJSON(`/api/incidents/${item.dataset.id}/${action}`);
    if (!result) { if (form) form.submit(); return; }
    const all = items();
    const next = all[all.indexOf(item) + 1] || all[all.indexOf(item) - 1] || null;
    item.classList.add("done", `status-${result.review_status}`);
    const status = item.querySelector("[data-status]");
    if (status) status.textContent = result.review_status;
    const total = document.querySelector("[data-queue-total]");
    if (total) total.textContent = String(Math.max(0, Number(total.textContent) - 1));
    if (next) select(next);
  };
  if (current) select(current);
  for (const item of list.querySelectorAll(".queue-item")) {
    item.addEventListener("click", (event) => { if (!event.target.closest("a, button, input")) select(item); });
    for (const form of item.querySelectorAll("form[data-action=accept], form[data-action=reject]")) {
      form.addEventListener("submit", (event) => { event.preventDefault(); decide(item, form.dataset.action); });
    }
  }
  return (event) => {
    if (!current && !"?".includes(event.key)) return false;
    switch (event.key) {
      case "j": move(1); return true;
      case "k": move(-1); return true;
      case "a": decide(current, "accept"); return true;
      case "r": decide(current, "reject"); return true;
      case "e": window.location.href = `/incidents/${current.dataset.id}/edit`; return true;
      case "s": window.location.href = `/incidents/${current.dataset.id}#split`; return true;
      case "o": case "Enter": window.location.href = `/incidents/${current.dataset.id}`; return true;
      case "m": {
        const input = current.querySelector("form[data-action=merge] input[name=other]");
        if (input) input.focus();
        return true;
      }
      default: return false;
    }
  };
};

// The incident page: the same letters act on the incident shown.
const incidentKeys = (actions) => (event) => {
  const target = actions.querySelector(`[data-key="${event.key}"]`) ||
    document.querySelector(`button[data-key="${event.key}"]`);
  if (!target) return false;
  if (event.key === "m") { target.querySelector("input[name=other]").focus(); return true; }
  if (event.key === "s") {
    const split = document.getElementById("split");
    const box = split && document.querySelector('input[name="mention"]');
    if (box) { box.closest("details").open = true; box.focus(); }
    return true;
  }
  if (target.tagName === "FORM") target.submit(); else if (target.tagName === "A") target.click();
  return true;
};

document.addEventListener("DOMContentLoaded", () => {
  // Search: changing a select applies the filter at once (the state stays in the URL).
  for (const select of document.querySelectorAll("form.filters select")) {
    select.addEventListener("change", () => select.form.submit());
  }
  // Incident page: a field name (or an evidence chip) lights up its evidence in the report texts.
  const focus = (field) => {
    let first = null;
    for (const mark of document.querySelectorAll("mark.ev")) {
      const hit = (mark.dataset.fields || "").split(" ").includes(field);
      mark.classList.toggle("focus", hit);
      if (hit && !first) first = mark;
    }
    if (first) {
      const details = first.closest("details");
      if (details) details.open = true;
      first.scrollIntoView({ block: "center" });
    }
  };
  for (const el of document.querySelectorAll("[data-field]")) {
    if (el.matches("button.field-focus, .chip")) el.addEventListener("click", () => focus(el.dataset.field));
  }
  for (const link of document.querySelectorAll("[data-help]")) {
    link.addEventListener("click", (event) => { event.preventDefault(); toggleHelp(); });
  }
  // Keyboard: only for reviewers (the help dialog is rendered for them), never while typing.
  if (!helpDialog()) return;
  const list = document.querySelector("[data-review-list]");
  const actions = document.querySelector(".actions[data-incident]");
  const handler = list ? reviewQueue(list) : actions ? incidentKeys(actions) : () => false;
  if (window.location.hash === "#split" && document.getElementById("split")) {
    const box = document.querySelector('input[name="mention"]');
    if (box) box.focus();
  }
  document.addEventListener("keydown", (event) => {
    if (typing(event)) return;
    if (event.key === "?") { event.preventDefault(); toggleHelp(); return; }
    if (helpDialog().open) return;
    if (handler(event)) event.preventDefault();
  });
});
