// The department tree: when a department is opened, its children are loaded from
// /departments/<id>/children as an HTML fragment that the server renders with the
// same template as the first level (directory/_tree_node.html), so the markup and
// its words (plurals, labels) exist only once. Without JavaScript the toggles stay
// hidden and every department links to its page, which lists its sub-departments.
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

  // Show the toggles of the nodes under `root` and fold what is not open.
  function enhance(root) {
    root.querySelectorAll(".tree-toggle").forEach((toggle) => {
      toggle.hidden = false;
      const ul = toggle.closest(".tree-node").querySelector(":scope > .tree-children");
      if (ul && toggle.getAttribute("aria-expanded") !== "true") ul.hidden = true;
    });
  }

  function load(li, ul) {
    message(ul, text.loading);
    fetch(url(text.childrenUrl, li.dataset.deptId), {headers: {Accept: "text/html"}, credentials: "same-origin"})
      .then((response) => {
        // 200: the children (or "outside the scope"); 404: "does not exist". Anything
        // else (an error page, a redirect to the sign-in page) is not a fragment.
        if (response.redirected || (!response.ok && response.status !== 404)) throw new Error(String(response.status));
        return response.text().then((html) => ({ok: response.ok, html: html}));
      })
      .then(({ok, html}) => {
        // The server's own template, autoescaped: vendor names arrive as text.
        ul.innerHTML = html;
        if (ok) ul.dataset.loaded = "1";
        enhance(ul);
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

  enhance(tree);
})();
