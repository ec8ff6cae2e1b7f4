// The department tree: children are loaded from /departments/<id>/children when a
// department is opened. Without JavaScript the toggles stay hidden and every
// department links to its page, which lists its sub-departments.
(function () {
  "use strict";
  const tree = document.getElementById("dept-tree");
  if (!tree) return;
  const text = tree.dataset;

  function url(template, id) {
    return template.replace(/\/0(\/|$)/, "/" + encodeURIComponent(id) + "$1");
  }

  function message(ul, content, css) {
    const li = document.createElement("li");
    li.className = "small " + (css || "text-body-secondary");
    li.textContent = content;
    ul.replaceChildren(li);
  }

  function node(child) {
    const li = document.createElement("li");
    li.className = "tree-node";
    li.dataset.deptId = child.id;
    li.dataset.hasChildren = child.has_children === null ? "unknown" : child.has_children ? "yes" : "no";
    const toggle = document.createElement("button");
    toggle.type = "button";
    toggle.className = "btn btn-sm btn-link tree-toggle p-0 me-1";
    toggle.setAttribute("aria-expanded", "false");
    toggle.setAttribute("aria-label", text.toggleLabel.replace("{name}", () => child.name));
    toggle.disabled = child.has_children === false;
    const icon = document.createElement("i");
    icon.className = "bi bi-caret-right-fill";
    toggle.append(icon);
    const link = document.createElement("a");
    link.className = "tree-link";
    link.href = url(text.deptUrl, child.id);
    link.textContent = child.name;
    li.append(toggle, " ", link);
    if (child.members !== null && child.members !== undefined) {
      const badge = document.createElement("span");
      badge.className = "badge text-bg-light ms-1";
      badge.textContent = text.people.replace("{n}", child.members);
      li.append(" ", badge);
    }
    const ul = document.createElement("ul");
    ul.className = "tree-children list-unstyled ms-4";
    ul.hidden = true;
    li.append(ul);
    return li;
  }

  function load(li, ul) {
    message(ul, text.loading);
    fetch(url(text.childrenUrl, li.dataset.deptId), {headers: {Accept: "application/json"}, credentials: "same-origin"})
      .then((response) => response.json().then((data) => ({ok: response.ok, data: data})))
      .then(({ok, data}) => {
        if (data.out_of_scope) return message(ul, text.outOfScope, "text-warning-emphasis");
        if (!ok) return message(ul, data.error || text.failed, "text-danger");
        ul.dataset.loaded = "1";
        if (!data.children.length) return message(ul, text.empty);
        ul.replaceChildren(...data.children.map(node));
      })
      .catch(() => message(ul, text.failed, "text-danger"));
  }

  tree.addEventListener("click", (event) => {
    const toggle = event.target.closest(".tree-toggle");
    if (!toggle || !tree.contains(toggle)) return;
    const li = toggle.closest(".tree-node");
    const ul = li.querySelector(":scope > .tree-children");
    const open = toggle.getAttribute("aria-expanded") === "true";
    toggle.setAttribute("aria-expanded", open ? "false" : "true");
    ul.hidden = open;
    if (!open && !ul.dataset.loaded) load(li, ul);
  });

  tree.querySelectorAll(".tree-toggle").forEach((toggle) => {
    toggle.hidden = false;
    const ul = toggle.closest(".tree-node").querySelector(":scope > .tree-children");
    if (toggle.getAttribute("aria-expanded") !== "true") ul.hidden = true;
  });
})();
