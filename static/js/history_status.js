// Rows that follow their own status until they settle: the send history (a send still
// going out, or waiting for DingTalk's progress, polls GET /notifications/<id>/status)
// and a chat's messages (a queued message polls GET /chats/<chatid>/messages/<id>/status).
// Each updates its state badge and delivery line in place; a status may also give
// `settled_text` (the line once settled) and `link_url` / `link_text` (a link shown then).
(function () {
  "use strict";

  const rows = Array.from(document.querySelectorAll("tr[data-unsettled][data-status-url]"));
  if (!rows.length) return;
  const interval = 3000;

  function update(row, data) {
    const badge = row.querySelector('[data-row-field="state"]');
    if (badge && data.state_label) {
      badge.textContent = data.state_label;
      if (data.state_colour) {
        badge.className = badge.className.replace(/\btext-bg-\w+/, "text-bg-" + data.state_colour);
      }
    }
    const line = row.querySelector('[data-row-field="delivery"]');
    if (line) line.textContent = data.in_progress ? data.delivery_text : data.settled_text || "";
    const link = row.querySelector('[data-row-field="link"]');
    if (link && data.link_url) {
      link.href = data.link_url;
      link.textContent = data.link_text || "";
      link.hidden = false;
      if (badge) badge.hidden = true;
    }
  }

  function poll(row) {
    fetch(row.dataset.statusUrl, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
      .then((data) => {
        update(row, data);
        if (data.in_progress) setTimeout(() => poll(row), interval);
        else row.removeAttribute("data-unsettled");
      })
      .catch(() => setTimeout(() => poll(row), interval * 3));
  }

  rows.forEach((row, i) => setTimeout(() => poll(row), 500 + i * 100));
})();
