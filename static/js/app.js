// Shared behaviour: CSRF header for fetch() calls made by page scripts; avatar fallback.
(function () {
  "use strict";
  const meta = document.querySelector('meta[name="csrf-token"]');
  window.dashboardFetch = function (url, options) {
    options = options || {};
    options.headers = Object.assign({"X-CSRFToken": meta ? meta.content : ""}, options.headers || {});
    options.credentials = "same-origin";
    return fetch(url, options);
  };

  // An avatar DingTalk's CDN cannot serve (intranet, expired link) shows the placeholder
  // icon instead of a broken image.
  document.querySelectorAll("img[data-avatar]").forEach(function (img) {
    function fallBack() {
      img.hidden = true;
      const placeholder = document.getElementById("avatar-placeholder");
      if (placeholder) placeholder.hidden = false;
    }
    if (img.complete && img.naturalWidth === 0) fallBack();
    else img.addEventListener("error", fallBack);
  });
})();
