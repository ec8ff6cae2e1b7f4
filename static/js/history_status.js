// Send history: every row of a send still going out (queued, sending, paused, or waiting
// for DingTalk's progress) polls GET /notifications/<id>/status and updates its state
// badge and delivery line in place, until the send settles.
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
    if (line) line.textContent = data.in_progress ? data.delivery_text : "";
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
