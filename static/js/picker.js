// Recipient pickers: progressive enhancement of
//   <textarea data-picker="users"> and <textarea data-picker="depts">
// A search box with suggestions from /directory/search (the directory snapshot:
// names, pinyin, pinyin initials, ids) and removable chips, kept in sync with the
// textarea's comma-separated ids. Without JavaScript the textarea works as is.
// Keyboard: type to search, Up/Down to move, Enter to pick, Escape to close,
// Backspace on an empty box removes the last chip. Vendor names are only ever
// set with textContent.
(function () {
  "use strict";

  // The words (in the UI language, from the translation catalogs) and the server's
  // separators of typed ids (dashboard.composer.recipients.SEPARATORS) come from the
  // page: base.html renders them as JSON in #picker-config.
  const config = (() => {
    const node = document.getElementById("picker-config");
    try {
      return node ? JSON.parse(node.textContent) : {};
    } catch (error) {
      return {};
    }
  })();
  // Without the page's configuration the textareas stay as they are (no second copy
  // of the separators or of the words here).
  const ready = Boolean(config.separators && config.strings);
  const strings = config.strings || {};
  const separators = ready ? new RegExp(config.separators) : null;
  const t = (key, values) =>
    String(strings[key] || "").replace(/\{(\w+)\}/g, (whole, name) => (values && name in values ? values[name] : whole));
  let counter = 0;

  function splitIds(text) {
    return (text || "").split(separators).map((s) => s.trim()).filter(Boolean);
  }

  // Recipient groups beside people: a page with a group field says where (#picker-groups:
  // {"url": the groups' JSON, "field": the form field's name}). A picked group selects its
  // option in that field (the no-JS multi-select), so the form sends what it always did.
  const groupsConfig = (() => {
    const node = document.getElementById("picker-groups");
    try {
      return node ? JSON.parse(node.textContent) : null;
    } catch (error) {
      return null;
    }
  })();
  let groupsLoad = null;
  function loadGroups() {
    if (!groupsLoad) {
      groupsLoad = fetch(groupsConfig.url, {headers: {Accept: "application/json"}, credentials: "same-origin"})
        .then((response) => (response.ok ? response.json() : {groups: []}))
        .catch(() => ({groups: []}));
    }
    return groupsLoad;
  }

  function Picker(textarea) {
    const kind = textarea.dataset.picker === "depts" ? "depts" : "users";
    const groupField = kind === "users" && groupsConfig && textarea.form &&
      textarea.form.elements.namedItem(groupsConfig.field);
    const groupSelect = groupField && groupField.tagName === "SELECT" ? groupField : null;
    let groupWords = {};
    const searchUrl = textarea.dataset.searchUrl || "/directory/search";
    const namesUrl = textarea.dataset.namesUrl || "/directory/names";
    const uid = "picker-" + (++counter);
    const names = new Map();
    const unknown = new Set(); // ids the directory does not know: red chips
    let ids = [];
    let results = [];
    let active = -1;
    let seq = 0;
    let timer = null;

    const wrap = document.createElement("div");
    wrap.className = "picker position-relative";
    const box = document.createElement("div");
    box.className = "form-control d-flex flex-wrap align-items-center gap-1 picker-box";
    box.style.minHeight = "calc(1.5em + .75rem + 2px)";
    box.style.cursor = "text";
    const chips = document.createElement("span");
    chips.className = "picker-chips";
    chips.style.display = "contents";
    const input = document.createElement("input");
    input.type = "text";
    input.id = uid + "-input";
    input.className = "border-0 flex-grow-1 picker-input";
    input.style.outline = "none";
    input.style.minWidth = "10em";
    input.autocomplete = "off";
    input.spellcheck = false;
    input.placeholder = textarea.dataset.pickerPlaceholder || t(kind);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", uid + "-list");
    const list = document.createElement("ul");
    list.id = uid + "-list";
    list.className = "list-group position-absolute w-100 shadow-sm picker-suggestions";
    list.style.zIndex = "1050";
    list.style.maxHeight = "18rem";
    list.style.overflowY = "auto";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    const status = document.createElement("div");
    status.className = "visually-hidden";
    status.setAttribute("aria-live", "polite");

    box.append(chips, input);
    wrap.append(box, list, status);
    textarea.insertAdjacentElement("afterend", wrap);
    textarea.hidden = true;
    textarea.dataset.pickerReady = "1";
    if (textarea.classList.contains("is-invalid")) box.classList.add("is-invalid");
    const label = textarea.id && document.querySelector('label[for="' + CSS.escape(textarea.id) + '"]');
    if (label) {
      label.htmlFor = input.id;
      label.id = label.id || uid + "-label";
    }

    function sync() {
      textarea.value = ids.join(",");
      textarea.dispatchEvent(new Event("input", {bubbles: true}));
      textarea.dispatchEvent(new Event("change", {bubbles: true}));
      textarea.dispatchEvent(new CustomEvent("picker:change", {bubbles: true, detail: {ids: ids.slice()}}));
    }

    function renderChips() {
      chips.replaceChildren();
      if (groupSelect) {
        Array.from(groupSelect.selectedOptions).forEach((option) => {
          const chip = document.createElement("span");
          chip.className = "badge rounded-pill border d-inline-flex align-items-center picker-chip picker-chip-group text-bg-info";
          chip.dataset.groupId = option.value;
          const icon = document.createElement("i");
          icon.className = "bi bi-people me-1";
          icon.setAttribute("aria-hidden", "true");
          const text = document.createElement("span");
          text.textContent = option.textContent.trim();
          const remove = document.createElement("button");
          remove.type = "button";
          remove.className = "btn-close ms-1";
          remove.style.fontSize = ".6rem";
          remove.setAttribute("aria-label",
            String(groupWords.remove || t("remove")).replace("{name}", option.textContent.trim()));
          remove.addEventListener("click", (event) => {
            event.stopPropagation();
            setGroup(option.value, false);
            input.focus();
          });
          chip.append(icon, text, remove);
          chips.append(chip);
        });
      }
      ids.forEach((id) => {
        const chip = document.createElement("span");
        const missing = unknown.has(id);
        chip.className = "badge rounded-pill border d-inline-flex align-items-center picker-chip " +
          (missing ? "text-bg-danger picker-chip-unknown" : "text-bg-light");
        chip.dataset.id = id;
        if (missing) chip.title = t("unknown");
        const text = document.createElement("span");
        const name = names.get(id);
        text.textContent = name ? name + " (" + id + ")" : id;
        const remove = document.createElement("button");
        remove.type = "button";
        remove.className = "btn-close ms-1" + (missing ? " btn-close-white" : "");
        remove.style.fontSize = ".6rem";
        remove.setAttribute("aria-label", t("remove", {name: name || id}));
        if (missing) text.textContent = id + " · " + t("unknown");
        remove.addEventListener("click", (event) => {
          event.stopPropagation();
          removeId(id);
          input.focus();
        });
        chip.append(text, remove);
        chips.append(chip);
      });
    }

    function addId(id, name) {
      id = String(id);
      if (name) names.set(id, name);
      if (!ids.includes(id)) {
        ids.push(id);
        sync();
      }
      renderChips();
      status.textContent = t("selected", {name: name || id});
    }

    function setGroup(value, on) {
      const option = Array.from(groupSelect.options).find((o) => o.value === String(value));
      if (!option) return;
      option.selected = on;
      groupSelect.dispatchEvent(new Event("change", {bubbles: true}));
      renderChips();
      if (on) status.textContent = t("selected", {name: option.textContent.trim()});
    }

    function removeId(id) {
      ids = ids.filter((x) => x !== id);
      renderChips();
      sync();
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      const items = list.querySelectorAll("[role=option]");
      items.forEach((item, i) => {
        item.classList.toggle("active", i === index);
        item.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index;
      if (index >= 0 && items[index]) {
        input.setAttribute("aria-activedescendant", items[index].id);
        items[index].scrollIntoView({block: "nearest"});
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    // `problem`: null when the search answered, else the key of what to say instead.
    function renderResults(rows, problem) {
      const chosen = groupSelect ? Array.from(groupSelect.selectedOptions).map((o) => o.value) : [];
      results = rows.filter((row) => (row.group ? !chosen.includes(String(row.id)) : !ids.includes(String(row.id))));
      list.replaceChildren();
      if (!results.length) {
        const empty = document.createElement("li");
        empty.className = "list-group-item text-body-secondary small";
        empty.textContent = t(problem || "none");
        list.append(empty);
      }
      results.forEach((row, i) => {
        const item = document.createElement("li");
        item.id = uid + "-opt-" + i;
        item.className = "list-group-item list-group-item-action picker-option" + (row.group ? " picker-option-group" : "");
        item.setAttribute("role", "option");
        item.style.cursor = "pointer";
        if (row.group) {
          const badge = document.createElement("span");
          badge.className = "badge text-bg-info me-2";
          badge.textContent = groupWords.group || "";
          item.append(badge);
        }
        const name = document.createElement("strong");
        name.textContent = row.name;
        const id = document.createElement("span");
        id.className = "text-body-secondary small ms-2";
        id.textContent = row.group ? row.label || "" : String(row.id);
        item.append(name, id);
        if (row.detail) {
          const detail = document.createElement("div");
          detail.className = "small text-body-secondary";
          detail.textContent = row.detail;
          item.append(detail);
        }
        item.addEventListener("mousedown", (event) => event.preventDefault());
        item.addEventListener("click", () => pick(i));
        list.append(item);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      status.textContent = t("results", {n: results.length});
      highlight(results.length ? 0 : -1);
    }

    function pick(index) {
      const row = results[index];
      if (!row) return;
      if (row.group) setGroup(row.id, true);
      else addId(row.id, row.name);
      input.value = "";
      close();
    }

    function search() {
      const q = input.value.trim();
      if (!q) {
        close();
        return;
      }
      const mine = ++seq;
      const url = searchUrl + "?" + new URLSearchParams({q: q, types: kind, limit: "10"});
      // Groups whose name holds what was typed come first, with whom they reach now.
      const groups = groupSelect
        ? loadGroups().then((data) => {
          groupWords = (data && data.strings) || {};
          const needle = q.toLowerCase();
          return ((data && data.groups) || [])
            .filter((g) => String(g.name).toLowerCase().includes(needle))
            .map((g) => ({id: String(g.id), name: g.name, label: g.label, detail: g.description, group: true}));
        })
        : Promise.resolve([]);
      Promise.all([
        fetch(url, {headers: {Accept: "application/json"}, credentials: "same-origin"})
          .then((response) => response.json().then((data) => ({ok: response.ok, data: data}))),
        groups,
      ])
        .then(([{ok, data}, groupRows]) => {
          if (mine !== seq) return;
          // ISV mode with no company chosen: a state, not a failure.
          if (data && data.state === "no_company") return renderResults(groupRows, "no_company");
          if (!ok) return renderResults(groupRows, "failed");
          renderResults(groupRows.concat(Array.isArray(data) ? data : []), null);
        })
        .catch(() => {
          if (mine === seq) renderResults([], "failed");
        });
    }

    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(search, 150);
    });
    input.addEventListener("keydown", (event) => {
      const open = !list.hidden;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!open) search();
        else highlight(Math.min(active + 1, results.length - 1));
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (open) highlight(Math.max(active - 1, 0));
      } else if (event.key === "Enter") {
        if (open && active >= 0) {
          event.preventDefault();
          pick(active);
        } else if (input.value.trim()) {
          // Pasted or typed ids: taken as they are, then looked up (unknown ones turn red).
          // A department is only ever a number: other text stays a search, never a chip.
          event.preventDefault();
          const typed = splitIds(input.value);
          if (kind === "depts" && !typed.every((id) => /^[0-9]+$/.test(id))) {
            search();
            return;
          }
          typed.forEach((id) => addId(id));
          lookup(typed);
          input.value = "";
          close();
        }
      } else if (event.key === "Escape") {
        if (open) {
          event.preventDefault();
          close();
        }
      } else if (event.key === "Backspace" && !input.value && ids.length) {
        removeId(ids[ids.length - 1]);
      }
    });
    input.addEventListener("blur", () => setTimeout(close, 100));
    box.addEventListener("click", () => input.focus());
    textarea.addEventListener("change", () => {
      // Someone else changed the textarea (a reset, a prefill): show what it holds now.
      if (splitIds(textarea.value).join(",") === ids.join(",")) return;
      ids = splitIds(textarea.value);
      renderChips();
      lookup(ids.filter((id) => !names.has(id) && !unknown.has(id)));
    });
    if (groupSelect) groupSelect.addEventListener("change", renderChips);
    const form = textarea.form;
    if (form) {
      form.addEventListener("reset", () => setTimeout(() => {
        ids = splitIds(textarea.value);
        renderChips();
      }));
    }

    // Names of ids from the directory; the ids it does not know are marked unknown.
    function lookup(wanted) {
      if (!wanted.length) return;
      const params = new URLSearchParams();
      params.set(kind, wanted.join(","));
      fetch(namesUrl + "?" + params, {headers: {Accept: "application/json"}, credentials: "same-origin"})
        .then((response) => (response.ok ? response.json() : null))
        .then((data) => {
          if (!data || !data[kind]) return;
          Object.entries(data[kind]).forEach(([id, name]) => names.set(id, name));
          wanted.forEach((id) => (data[kind][id] ? unknown.delete(id) : unknown.add(id)));
          renderChips();
        })
        .catch(() => {});
    }

    ids = Array.from(new Set(splitIds(textarea.value)));
    renderChips();
    lookup(ids);
  }

  function init(root) {
    if (!ready) return;
    (root || document).querySelectorAll("textarea[data-picker]").forEach((textarea) => {
      if (!textarea.dataset.pickerReady) Picker(textarea);
    });
  }

  window.DirectoryPicker = {init: init};
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => init());
  else init();
})();
