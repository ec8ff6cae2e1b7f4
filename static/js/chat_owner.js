// New chat: the owner must be one of the members, so offer the picked members as the
// owner's choices (with their names) and start with the first one picked.
(function () {
  "use strict";

  const members = document.querySelector('#new-chat textarea[name="useridlist"]');
  const owner = document.querySelector('#new-chat input[name="owner"]');
  if (!members || !owner) return;

  const options = document.createElement("datalist");
  options.id = "owner-options";
  owner.setAttribute("list", options.id);
  owner.insertAdjacentElement("afterend", options);

  function memberIds() {
    return members.value.split(/[\s,，;；]+/).map((s) => s.trim()).filter(Boolean);
  }

  function chipName(id) {
    const chip = document.querySelector('.picker-chip[data-id="' + CSS.escape(id) + '"] span');
    return chip ? chip.textContent : "";
  }

  function refresh() {
    const ids = memberIds();
    options.replaceChildren(
      ...ids.map((id) => {
        const option = document.createElement("option");
        option.value = id;
        option.label = chipName(id);
        return option;
      })
    );
    if (!owner.value.trim() && ids.length) owner.value = ids[0];
  }

  members.addEventListener("picker:change", () => setTimeout(refresh));
  members.addEventListener("input", refresh);
  refresh();
})();
