// Kolokol's own progressive enhancements; every page works without them.
"use strict";
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
});
