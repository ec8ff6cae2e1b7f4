// Detail page of one send: polls GET /notifications/<id>/status while delivery is in
// progress, updates the progress bar and task rows in place, then loads the
// per-recipient result fragment (server-rendered, autoescaped) once every task is done.
// While the queue still sends, it also shows the calls made, the people reached and an ETA.
(function () {
  "use strict";

  const root = document.querySelector("[data-send-status]");
  if (!root || root.dataset.inProgress !== "true") return;
  const statusUrl = root.dataset.statusUrl;
  const interval = 2000;

  function update(data) {
    const percent = root.querySelector('[data-status="percent"]');
    if (percent) percent.textContent = data.percent + " %";
    const bar = root.querySelector('[data-status="bar"]');
    if (bar) {
      bar.setAttribute("aria-valuenow", data.percent);
      const inner = bar.querySelector(".progress-bar");
      inner.style.width = data.percent + "%";
      if (!data.in_progress) inner.classList.remove("progress-bar-striped", "progress-bar-animated");
    }
    const delivery = root.querySelector('[data-status="delivery"]');
    if (delivery && data.delivery_text) delivery.textContent = data.delivery_text;
    // Cancel / pause / resume only apply while batches are still to go out.
    if (data.unsettled === false) {
      document.querySelectorAll("#pause-form, #resume-form, #cancel-form").forEach((f) => f.remove());
    }
    const badge = document.querySelector('[data-status="state"]');
    if (badge && data.state_label) {
      badge.textContent = data.state_label;
      if (data.state_colour) {
        badge.className = badge.className.replace(/\btext-bg-\w+/, "text-bg-" + data.state_colour);
      }
    }
    (data.tasks || []).forEach((task) => {
      const row = root.querySelector('[data-task="' + task.batch_no + '"]');
      if (!row) return;
      const taskId = row.querySelector('[data-task-field="task_id"]');
      if (taskId && task.task_id) taskId.textContent = task.task_id;
      const progress = row.querySelector('[data-task-field="progress"]');
      if (progress) progress.textContent = task.progress + " %";
      const state = row.querySelector('[data-task-field="state"]');
      if (state && task.state_label) state.textContent = task.state_label;
    });
  }

  function loadResult(url) {
    fetch(url, {credentials: "same-origin", headers: {Accept: "text/html"}})
      .then((r) => (r.ok ? r.text() : Promise.reject(r.status)))
      .then((html) => {
        const slot = document.getElementById("send-result");
        // Our own server-rendered, autoescaped fragment.
        if (slot) slot.innerHTML = html;
      })
      .catch(() => {});
  }

  function poll() {
    fetch(statusUrl, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
      .then((data) => {
        update(data);
        if (data.in_progress) setTimeout(poll, interval);
        else loadResult(data.result_url);
      })
      .catch(() => setTimeout(poll, interval * 3));
  }

  setTimeout(poll, interval);
})();
