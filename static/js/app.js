// Shared behaviour: CSRF header for fetch() calls made by page scripts.
(function () {
  "use strict";
  const meta = document.querySelector('meta[name="csrf-token"]');
  window.dashboardFetch = function (url, options) {
    options = options || {};
    options.headers = Object.assign({"X-CSRFToken": meta ? meta.content : ""}, options.headers || {});
    options.credentials = "same-origin";
    return fetch(url, options);
  };
})();
