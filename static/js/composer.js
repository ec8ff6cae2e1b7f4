// Message composer: shows the chosen msgtype's fields and keeps a live preview.
//
// Markup it enhances (templates/composer/_message_fields.html and _preview.html):
//   <form data-composer data-preview-url="/notifications/preview"> ... </form>
//   [data-msgtype-select]          the msgtype <select>
//   [data-msgtype-section="a b"]   shown when the msgtype is one of the listed types
//   [data-card-style] / [data-card-style-section="single|buttons"]  action card button style
//   [data-preview="message|request|size|errors|warnings"]           preview targets
//   <script id="composer-labels" type="application/json">          translated labels
// The preview endpoint receives the form (POST, FormData) and answers JSON:
//   {msg, size, max_bytes, size_text, valid, errors: {field: [..]}, form_errors: [..],
//    warnings: [..], requests: [{line, body, body_text}], calls, more, request_error?}
//   (the requests are the ones the client library will send, dashboard/composer/preview.py;
//    body_text, when given, is shown as is: it keeps the key order of the real request;
//    request_error, when given, says why the client would refuse the call)
// Everything from the server or the admin is put in the page as text, never as HTML.
(function () {
  "use strict";

  const form = document.querySelector("form[data-composer]");
  if (!form) return;
  const labelsNode = document.getElementById("composer-labels");
  const labels = labelsNode ? JSON.parse(labelsNode.textContent) : {};
  const target = (name) => document.querySelector('[data-preview="' + name + '"]');

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // --- sections -------------------------------------------------------------------
  function currentType() {
    const select = form.querySelector("[data-msgtype-select]");
    return select ? select.value : "text";
  }

  function currentCardStyle() {
    const checked = form.querySelector('[data-card-style] input:checked, input[name$="card_style"]:checked');
    return checked ? checked.value : "single";
  }

  function showSections() {
    const type = currentType();
    form.querySelectorAll("[data-msgtype-section]").forEach((section) => {
      section.hidden = !section.dataset.msgtypeSection.split(" ").includes(type);
    });
    const style = currentCardStyle();
    form.querySelectorAll("[data-card-style-section]").forEach((section) => {
      section.hidden = section.dataset.cardStyleSection !== style;
    });
  }

  // --- message preview ------------------------------------------------------------
  function renderMessage(msg) {
    const box = target("message");
    if (!box || !msg) return;
    box.replaceChildren();
    const type = msg.msgtype;
    const c = msg[type] || {};
    const add = (tag, cls, text) => {
      if (text === undefined || text === null || text === "") return null;
      const node = el(tag, {class: cls}, text);
      if (cls.includes("preview-text")) node.style.whiteSpace = "pre-wrap";
      box.appendChild(node);
      return node;
    };
    if (type === "text") {
      add("div", "preview-text", c.content);
    } else if (type === "markdown") {
      add("div", "fw-semibold", c.title);
      add("div", "preview-text", c.text);
    } else if (type === "link") {
      add("div", "fw-semibold", c.title);
      add("div", "preview-text small", c.text);
      add("div", "small text-muted text-break-all", c.messageUrl);
    } else if (type === "action_card") {
      add("div", "fw-semibold", c.title);
      add("div", "preview-text", c.markdown);
      const bar = el("div", {class: c.btn_orientation === "1" ? "d-flex gap-2 mt-2" : "d-grid gap-1 mt-2"});
      const buttons = c.btn_json_list || (c.single_title ? [{title: c.single_title}] : []);
      buttons.forEach((b) => bar.appendChild(el("span", {class: "btn btn-sm btn-outline-primary disabled"}, b.title || labels.button)));
      box.appendChild(bar);
    } else if (type === "oa") {
      const head = c.head || {};
      const header = add("div", "preview-oa-head px-2 py-1 rounded-top text-white small", head.text || " ");
      if (header && /^[0-9a-fA-F]{8}$/.test(head.bgcolor || "")) header.style.background = "#" + head.bgcolor.slice(2);
      const body = c.body || {};
      add("div", "fw-semibold mt-1", body.title);
      (body.form || []).forEach((row) => add("div", "small", row.key + " " + row.value));
      if (body.rich) add("div", "fs-5", (body.rich.num || "") + " " + (body.rich.unit || ""));
      add("div", "preview-text small", body.content);
      add("div", "small text-muted", body.author);
      if (c.status_bar && c.status_bar.status_value) add("span", "badge text-bg-info", c.status_bar.status_value);
    } else if (type === "image" || type === "file" || type === "voice") {
      add("div", "small", labels.media + " · " + type + ": " + (c.media_id || ""));
      if (type === "voice") add("div", "small text-muted", (c.duration || "?") + " " + labels.duration);
    }
    if (!box.childNodes.length) box.appendChild(el("span", {class: "text-muted small"}, "…"));
  }

  function renderList(name, items) {
    const box = target(name);
    if (!box) return;
    box.replaceChildren();
    (items || []).forEach((item) => box.appendChild(el("div", {}, item)));
    box.classList.toggle("d-none", !(items && items.length));
  }

  function renderRequests(data) {
    const box = target("request");
    if (!box) return;
    box.replaceChildren();
    if (data.calls && data.calls > 1) box.appendChild(el("p", {class: "small mb-1 fw-semibold"}, (labels.calls || "{count}").replace("{count}", data.calls)));
    (data.requests || []).forEach((req) => {
      box.appendChild(el("div", {class: "small text-muted text-break-all"}, req.line));
      box.appendChild(el("pre", {class: "request-body mb-2"}, req.body_text || JSON.stringify(req.body, null, 2)));
    });
    if (data.more) box.appendChild(el("p", {class: "small text-muted"}, (labels.more || "{count}").replace("{count}", data.more)));
    if (data.request_error) box.appendChild(el("p", {class: "small text-danger"}, data.request_error));
  }

  function render(data) {
    // The server's phone rendering (dashboard/composer/preview.phone_html: escaped, markdown
    // sanitised by nh3) when it sends one; else the message as text.
    const phone = target("message");
    if (phone && data.phone_html) phone.innerHTML = data.phone_html;
    else renderMessage(data.msg);
    const size = target("size");
    if (size) {
      size.textContent = data.size_text || "";
      size.className = "badge " + (data.size > data.max_bytes ? "text-bg-danger" : "text-bg-secondary");
    }
    // Nothing is wrong before the admin has done anything: form errors wait for a touch.
    const touched = form.querySelector("[data-touched]");
    const errors = touched ? [].concat(data.form_errors || []) : [];
    // Field errors are listed only for fields the admin has touched, to keep the panel calm.
    Object.entries(data.errors || {}).forEach(([field, messages]) => {
      const input = form.elements[field];
      const label = form.querySelector('label[for="' + field + '"]');
      if (input && input.dataset && input.dataset.touched) errors.push((label ? label.textContent.trim() + ": " : "") + messages.join(" "));
    });
    renderList("errors", errors);
    renderList("warnings", data.warnings);
    renderRequests(data);
  }

  // --- updates --------------------------------------------------------------------
  let timer = null;
  let sequence = 0;
  function refresh() {
    const url = form.dataset.previewUrl;
    if (!url) return;
    const mine = ++sequence;
    const fetcher = window.dashboardFetch || ((u, o) => fetch(u, o));
    fetcher(url, {method: "POST", body: new FormData(form), headers: {Accept: "application/json"}})
      .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
      .then((data) => { if (mine === sequence) render(data); })
      .catch(() => { if (mine === sequence) renderList("errors", [labels.error]); });
  }
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  }

  form.addEventListener("input", (event) => {
    if (event.target && event.target.dataset) event.target.dataset.touched = "1";
    showSections();
    schedule();
  });
  form.addEventListener("change", (event) => {
    if (event.target && event.target.dataset) event.target.dataset.touched = "1";
    showSections();
    schedule();
  });
  // A second click while the first submit is on its way must not post the form again
  // (the server-side nonce is the real guard).
  form.addEventListener("submit", () => {
    setTimeout(() => form.querySelectorAll('button[type="submit"]').forEach((b) => { b.disabled = true; }), 0);
  });
  // The picker (static/js/picker.js) may change a textarea's value without an input event.
  form.addEventListener("picker:change", schedule);
  window.composerRefresh = schedule;

  showSections();
  refresh();
})();
